from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sanat.cli import NO_TOKEN_HINT

ROOT = Path(__file__).resolve().parent.parent
SANAT = Path(sys.executable).parent / "sanat"
SUBCOMMANDS = ("run", "bot", "backend", "migrate", "rules", "admin")


def run_sanat(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SANAT), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")}
    env.update(
        {"SANAT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'sanat.db'}"}, **extra
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_lists_every_subcommand() -> None:
    result = run_sanat("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name: str) -> None:
    result = run_sanat(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"sanat {name}" in result.stdout


def test_invalid_setting_is_one_clear_error(tmp_path: Path) -> None:
    result = run_sanat("migrate", env=clean_env(tmp_path, SANAT_WEB_PORT="http"))
    assert result.returncode == 2
    assert "SANAT_WEB_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_bot_without_token_says_how_to_add_one(tmp_path: Path) -> None:
    result = run_sanat("bot", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "SANAT_BOT_TOKEN" in result.stderr


def test_run_without_token_serves_the_api_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path, SANAT_WEB_PORT=str(port), SANAT_LOG_LEVEL="WARNING")
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
def test_admin_token_subcommands_have_help(name: str) -> None:
    result = run_sanat("admin", "token", name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"sanat admin token {name}" in result.stdout


def test_admin_token_create_list_revoke(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    result = run_sanat("admin", "token", "list", env=env)
    assert result.returncode == 2  # not migrated yet: one clear line, no traceback
    assert "sanat migrate" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_sanat("migrate", env=env).returncode == 0

    created = run_sanat("admin", "token", "create", "--name", "curator app", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("snt_")
    assert len(token) > 40
    assert "shown only this once" in created.stderr

    listed = run_sanat("admin", "token", "list", env=env)
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

    revoked = run_sanat("admin", "token", "revoke", str(token_id), env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    with sqlite3.connect(tmp_path / "var" / "sanat.db") as db:
        (revoked_at,) = db.execute("SELECT revoked_at FROM api_token").fetchone()
    assert revoked_at is not None

    missing = run_sanat("admin", "token", "revoke", "999", env=env)
    assert missing.returncode == 1
    assert "no API token with id 999" in missing.stderr
    bad_scope = run_sanat("admin", "token", "create", "--name", "x", "--scope", "root", env=env)
    assert bad_scope.returncode == 2
    assert "invalid scope" in bad_scope.stderr
