"""The scale proof, small (``python -m bench.scale`` runs it at full size): 2 ``sanat backend``
and 3 webhook ``sanat bot`` processes on PostgreSQL and Redis against the local Bot API server,
behind a front that sends each user's consecutive updates to different bot processes. 30
teachers do full assessments while 500 course reminders fall due and a 500-recipient broadcast
goes out; one backend and one bot are SIGKILLed midway and restarted.
"""

from __future__ import annotations

import pytest

from testing.databases import POSTGRES_ENV, REDIS_ENV, service_url
from testing.scale.report import format_report
from testing.scale.run import Options, scale_run


@pytest.mark.slow  # five real processes, a SIGKILL and the 60 s lease of the killed worker
def test_two_backends_three_bots_under_load_with_kills() -> None:
    options = Options(
        postgres_url=service_url(POSTGRES_ENV),
        redis_url=service_url(REDIS_ENV),
        teachers=500,
        dialogs=30,
        recipients=500,
        rate=20,  # low enough that two workers could pass it together on a 2-core machine
        compare=False,
        patience=20,
    )
    report = scale_run(options)
    text = format_report(report)
    print("\n" + text)
    names = [check.name for check in report.checks]
    assert names == [
        "dialogs (3 bots under load) end as in the single-process run",
        "one user's consecutive updates land on different bot processes",
        "every course reminder delivered exactly once",
        "every broadcast copy delivered exactly once",
        "combined send rate never above the configured limit in any one-second window",
        "exactly one sweeper per sweep",
        "no secret in any process log",
    ]
    assert "kills: SIGKILLed backend1 and bot1" in text, "nothing was killed midway"
    assert not report.failed, "\n".join(f"{c.name}: {c.detail}" for c in report.failed)
