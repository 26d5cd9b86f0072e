"""``sanat rules …`` subcommands (filled in with the rules engine)."""

from __future__ import annotations

import argparse
from typing import Any


def add_rules_commands(commands: Any) -> None:
    rules: argparse.ArgumentParser = commands.add_parser(
        "rules", help="query the rules of Order No. 338"
    )
    rules.add_subparsers(dest="rules_command", required=True, metavar="RULES_COMMAND")
