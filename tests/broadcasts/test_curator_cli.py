"""``sanat admin curator grant | list | revoke`` against a migrated SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.test_cli import clean_env, run_sanat


def test_grant_list_revoke(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert run_sanat("migrate", env=env).returncode == 0
    db_path = tmp_path / "var" / "sanat.db"
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO user (telegram_id, full_name, created_at, updated_at)"
            " VALUES (4242, 'Гүлнар Әбенова', '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
        )

    missing = run_sanat("admin", "curator", "grant", "999", env=env)
    assert missing.returncode == 1
    assert "open the bot first" in missing.stderr

    unknown = run_sanat("admin", "curator", "grant", "4242", "--region", "atlantis", env=env)
    assert unknown.returncode == 2
    assert "atlantis" in unknown.stderr

    granted = run_sanat(
        "admin", "curator", "grant", "4242", "--region", "almaty", "--region", "abai", env=env
    )
    assert granted.returncode == 0, granted.stderr
    assert "regions abai,almaty" in granted.stdout
    with sqlite3.connect(db_path) as db:
        roles = db.execute("SELECT role FROM user_role").fetchall()
        kind, regions = db.execute("SELECT kind, regions FROM curator_scope").fetchone()
    assert roles == [("curator",)]
    assert (kind, json.loads(regions)) == ("region", ["abai", "almaty"])

    listed = run_sanat("admin", "curator", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "4242" in listed.stdout
    assert "Гүлнар Әбенова" in listed.stdout

    everyone = run_sanat("admin", "curator", "grant", "4242", env=env)
    assert "everyone" in everyone.stdout

    revoked = run_sanat("admin", "curator", "revoke", "4242", env=env)
    assert revoked.returncode == 0, revoked.stderr
    again = run_sanat("admin", "curator", "revoke", "4242", env=env)
    assert again.returncode == 1
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM user_role").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM curator_scope").fetchone() == (0,)
    assert "4242" not in run_sanat("admin", "curator", "list", env=env).stdout
