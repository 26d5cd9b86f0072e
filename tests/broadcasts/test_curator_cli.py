"""``sanat admin curator grant | list | revoke`` against a migrated SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.sanat_cli import SanatCli


def test_grant_list_revoke(sanat_cli: SanatCli, tmp_path: Path) -> None:
    assert sanat_cli("migrate").returncode == 0
    db_path = tmp_path / "var" / "sanat.db"
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO user (telegram_id, full_name, created_at, updated_at)"
            " VALUES (4242, 'Гүлнар Әбенова', '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
        )

    missing = sanat_cli.subprocess("admin", "curator", "grant", "999")  # the script, once
    assert missing.returncode == 1
    assert "open the bot first" in missing.stderr

    unknown = sanat_cli("admin", "curator", "grant", "4242", "--region", "atlantis")
    assert unknown.returncode == 2
    assert "atlantis" in unknown.stderr

    granted = sanat_cli(
        "admin", "curator", "grant", "4242", "--region", "almaty", "--region", "abai"
    )
    assert granted.returncode == 0, granted.stderr
    assert "regions abai,almaty" in granted.stdout
    with sqlite3.connect(db_path) as db:
        roles = db.execute("SELECT role FROM user_role").fetchall()
        kind, regions = db.execute("SELECT kind, regions FROM curator_scope").fetchone()
    assert roles == [("curator",)]
    assert (kind, json.loads(regions)) == ("region", ["abai", "almaty"])

    listed = sanat_cli("admin", "curator", "list")
    assert listed.returncode == 0, listed.stderr
    assert "4242" in listed.stdout
    assert "Гүлнар Әбенова" in listed.stdout

    everyone = sanat_cli("admin", "curator", "grant", "4242")
    assert "everyone" in everyone.stdout

    revoked = sanat_cli("admin", "curator", "revoke", "4242")
    assert revoked.returncode == 0, revoked.stderr
    again = sanat_cli("admin", "curator", "revoke", "4242")
    assert again.returncode == 1
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM user_role").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM curator_scope").fetchone() == (0,)
    assert "4242" not in sanat_cli("admin", "curator", "list").stdout
