from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from sanat.cli import NO_TOKEN_HINT
from tests.sanat_cli import SANAT, SanatCli

SUBCOMMANDS = ("run", "bot", "backend", "migrate", "rules", "admin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_lists_every_subcommand(sanat_cli: SanatCli) -> None:
    result = sanat_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(sanat_cli: SanatCli, name: str) -> None:
    result = sanat_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"sanat {name}" in result.stdout


def test_invalid_setting_is_one_clear_error(sanat_cli: SanatCli) -> None:
    result = sanat_cli("migrate", env={"SANAT_WEB_PORT": "http"})
    assert result.returncode == 2
    assert "SANAT_WEB_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_bot_without_token_says_how_to_add_one(sanat_cli: SanatCli) -> None:
    result = sanat_cli("bot")
    assert result.returncode == 2
    assert "SANAT_BOT_TOKEN" in result.stderr


# The top-level group's script run (the admin and rules groups have their own).
def test_run_without_token_serves_the_api_and_stops_on_ctrl_c(
    sanat_cli: SanatCli, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")}
    env |= sanat_cli.env | {"SANAT_WEB_PORT": str(port), "SANAT_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [str(SANAT), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    body = json.load(response)
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                time.sleep(0.2)
        assert body is not None, "the API never answered"
        assert body["database"]["status"] == "ok"
        assert (tmp_path / "var" / "sanat.db").exists()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert [line for line in stderr.splitlines() if "SANAT_BOT_TOKEN" in line] == [NO_TOKEN_HINT]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("name", ["create", "revoke", "list"])
def test_admin_token_subcommands_have_help(sanat_cli: SanatCli, name: str) -> None:
    result = sanat_cli("admin", "token", name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"sanat admin token {name}" in result.stdout


def test_admin_token_create_list_revoke(sanat_cli: SanatCli, tmp_path: Path) -> None:
    result = sanat_cli.subprocess("admin", "token", "list")  # the admin group's script run
    assert result.returncode == 2  # not migrated yet: one clear line, no traceback
    assert "sanat migrate" in result.stderr
    assert "Traceback" not in result.stderr
    assert sanat_cli("migrate").returncode == 0

    created = sanat_cli("admin", "token", "create", "--name", "curator app")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("snt_")
    assert len(token) > 40
    assert "shown only this once" in created.stderr

    listed = sanat_cli("admin", "token", "list")
    assert listed.returncode == 0, listed.stderr
    assert "curator app" in listed.stdout
    assert "admin" in listed.stdout
    assert token not in listed.stdout

    with sqlite3.connect(tmp_path / "var" / "sanat.db") as db:
        rows = db.execute("SELECT id, token_hash, revoked_at FROM api_token").fetchall()
    assert len(rows) == 1
    token_id, token_hash, revoked_at = rows[0]
    assert token_hash != token
    assert token not in token_hash
    assert revoked_at is None

    revoked = sanat_cli("admin", "token", "revoke", str(token_id))
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    with sqlite3.connect(tmp_path / "var" / "sanat.db") as db:
        (revoked_at,) = db.execute("SELECT revoked_at FROM api_token").fetchone()
    assert revoked_at is not None

    missing = sanat_cli("admin", "token", "revoke", "999")
    assert missing.returncode == 1
    assert "no API token with id 999" in missing.stderr
    bad_scope = sanat_cli("admin", "token", "create", "--name", "x", "--scope", "root")
    assert bad_scope.returncode == 2
    assert "invalid scope" in bad_scope.stderr
