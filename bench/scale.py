"""Sanat at scale: 2 backends and 3 webhook bots on PostgreSQL and Redis, proven together.

Against the local Bot API server, behind a small front that sends each user's consecutive
updates to different bot processes: ``--dialogs`` teachers do full self-assessments at once
while course reminders for ``--teachers`` teachers fall due and a ``--recipients`` broadcast
goes out; one backend and one bot are SIGKILLed midway and restarted. Then the same dialogs on
1 bot process and on 3 again. Prints dialog updates/s and the p99 per step for each, and checks:
each dialog ends as in a single-process run, one sweeper per sweep, every reminder and
broadcast copy delivered exactly once (one duplicate per killed worker allowed), the combined
send rate never above the configured limit in any one-second window, no secret in any log.

Run: ``.venv/bin/python -m bench.scale [--teachers 10000] [--dialogs 500] [--recipients 10000]
[--rate 100]`` with ``SANAT_TEST_POSTGRES_URL`` (a fresh database is created and dropped) and
``SANAT_TEST_REDIS_URL``. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from testing.scale.report import format_report
from testing.scale.run import Options, scale_run

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=10_000, help="due course reminders")
    parser.add_argument("--dialogs", type=int, default=500, help="concurrent assessments")
    parser.add_argument("--recipients", type=int, default=10_000, help="broadcast recipients")
    parser.add_argument("--rate", type=float, default=25.0, help="SANAT_DELIVERY_GLOBAL_RATE")
    parser.add_argument("--no-kill", action="store_true", help="kill no process midway")
    parser.add_argument("--no-compare", action="store_true", help="skip the 1-bot phases")
    parser.add_argument(
        "--compare-dialogs", type=int, help="dialogs in the 1-bot and 3-bot phases (--dialogs)"
    )
    parser.add_argument(
        "--patience", type=float, help="seconds a teacher waits before acting again"
    )
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args(argv)
    options = Options(
        postgres_url=os.environ.get("SANAT_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        redis_url=os.environ.get("SANAT_TEST_REDIS_URL", DEFAULT_REDIS),
        teachers=args.teachers,
        dialogs=args.dialogs,
        recipients=args.recipients,
        rate=args.rate,
        kill=not args.no_kill,
        compare=not args.no_compare,
        compare_dialogs=args.compare_dialogs,
        patience=args.patience,
        keep_logs=args.logs,
    )
    report = scale_run(options)
    print(format_report(report))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
