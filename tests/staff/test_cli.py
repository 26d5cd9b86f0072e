"""``sanat admin org`` and ``sanat admin invite`` as people run them, on a SQLite file."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.sanat_cli import SanatCli


@pytest.mark.parametrize(
    "command",
    [
        ("org", "create"),
        ("org", "list"),
        ("invite", "create"),
        ("invite", "list"),
        ("invite", "revoke"),
    ],
)
def test_every_command_has_help(sanat_cli: SanatCli, command: tuple[str, str]) -> None:
    result = sanat_cli("admin", *command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"sanat admin {' '.join(command)}" in result.stdout


def test_org_and_invitation_lifecycle(sanat_cli: SanatCli, tmp_path: Path) -> None:
    sanat_cli.env["SANAT_BOT_USERNAME"] = "sanat_test_bot"
    database = tmp_path / "var" / "sanat.db"
    assert sanat_cli("migrate").returncode == 0

    created = sanat_cli(
        "admin", "org", "create", "--name", "Гимназия №1", "--kind", "school", "--region",
        "almaty",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "organisation 1" in created.stdout
    bad_kind = sanat_cli("admin", "org", "create", "--name", "X", "--kind", "bank")
    assert bad_kind.returncode == 2
    listed = sanat_cli.subprocess("admin", "org", "list")  # the script, once
    assert "Гимназия №1" in listed.stdout
    assert "almaty" in listed.stdout

    invite = sanat_cli(
        "admin", "invite", "create", "--org", "1", "--role", "hr", "--max-uses", "3",
        "--days", "7",
    )  # fmt: skip
    assert invite.returncode == 0, invite.stderr
    link = invite.stdout.strip()
    assert link.startswith("https://t.me/sanat_test_bot?start=")
    token = link.split("start=", 1)[1]
    assert "shown only this once" in invite.stderr
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT id, token_hash, role, max_uses, organisation_id FROM invitation"
        ).fetchall()
    assert rows == [(1, hashlib.sha256(token.encode()).hexdigest(), "hr", 3, 1)]

    listing = sanat_cli("admin", "invite", "list", "--org", "1")
    assert listing.returncode == 0, listing.stderr
    assert "hr" in listing.stdout
    assert "0/3" in listing.stdout
    assert token not in listing.stdout

    revoked = sanat_cli("admin", "invite", "revoke", "1")
    assert revoked.returncode == 0, revoked.stderr
    with sqlite3.connect(database) as db:
        (revoked_at,) = db.execute("SELECT revoked_at FROM invitation").fetchone()
    assert revoked_at is not None

    missing = sanat_cli("admin", "invite", "revoke", "99")
    assert missing.returncode == 1
    assert "no invitation with id 99" in missing.stderr
    no_org = sanat_cli("admin", "invite", "create", "--org", "42", "--role", "head")
    assert no_org.returncode == 1
    assert "no organisation with id 42" in no_org.stderr
    bad_role = sanat_cli("admin", "invite", "create", "--org", "1", "--role", "teacher")
    assert bad_role.returncode == 2
    zero = sanat_cli("admin", "invite", "create", "--org", "1", "--role", "head", "--days", "0")
    assert zero.returncode == 2
    assert "Traceback" not in zero.stderr + bad_role.stderr + no_org.stderr
