"""The weekly digest: content against dates, files, formula safety, weekly outbox dedupe."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from openpyxl import load_workbook

from backend import staff
from backend.courses import service as courses
from backend.courses.validation import CourseInput
from backend.db import SessionPool
from backend.models import Membership, User
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.staff.digest_schedule import ScheduleInputError, check_schedule, set_schedule
from tests.rendering import LANGUAGES, rendered
from tests.staff.helpers import (
    HEADER_RU,
    TODAY,
    csv_bytes,
    new_organisation,
    new_user,
    outbox,
    run_import,
)

# Monday 11.05.2026 09:00 in Almaty (UTC+5) and the same ISO week's Sunday evening.
MONDAY = dt.datetime(2026, 5, 11, 4, 0, tzinfo=dt.UTC)
SUNDAY = dt.datetime(2026, 5, 17, 13, 0, tzinfo=dt.UTC)


async def fill_roster(pool: SessionPool, organisation_id: int, ruleset: Ruleset) -> None:
    lines = [
        HEADER_RU,
        "Overdue Long;2.4;;01.03.2023;педагог",  # due 01.03.2026: 65 days late
        "Overdue Short;2.4;;04.05.2023;педагог",  # due 04.05.2026: 1 day late
        "Due Today;2.4;;05.05.2023;педагог",  # due today: 0 days left, due soon
        "Due In Ninety;2.4;;03.08.2023;педагог",  # due 03.08.2026: exactly 90 days
        "Due Later;2.4;;04.08.2023;педагог",  # 91 days: not in the digest
        "No Date;2.4;;;педагог",
        '=HYPERLINK("http://evil");2.4;;01.01.2023;педагог',  # formula injection attempt
    ]
    report = await run_import(pool, organisation_id, ruleset, csv_bytes(lines))
    assert report.errors == []


async def digest_of(pool: SessionPool, organisation_id: int, ruleset: Ruleset) -> staff.Digest:
    async with pool() as session:
        return await staff.digest(
            session=session, organisation_id=organisation_id, today=TODAY, ruleset=ruleset
        )


async def test_digest_sorts_people_by_due_date(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    await fill_roster(session_pool, organisation_id, ruleset)
    report = await digest_of(session_pool, organisation_id, ruleset)
    assert [(row.full_name, row.days_left) for row in report.overdue] == [
        ('=HYPERLINK("http://evil")', -124),
        ("Overdue Long", -65),
        ("Overdue Short", -1),
    ]
    assert [(row.full_name, row.days_left, row.due_on) for row in report.due_soon] == [
        ("Due Today", 0, dt.date(2026, 5, 5)),
        ("Due In Ninety", 90, dt.date(2026, 8, 3)),
    ]
    assert [row.full_name for row in report.without_date] == ["No Date"]
    assert report.total == 7
    assert report.overdue[1].position_name["ru"].startswith("Воспитатель")


async def test_a_linked_teachers_own_course_moves_their_due_date(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    await fill_roster(session_pool, organisation_id, ruleset)
    teacher = await new_user(session_pool, 901)
    async with session_pool() as session:
        entry = next(
            item
            for item in await staff.roster_entries(
                session=session, organisation_id=organisation_id
            )
            if item.full_name == "Overdue Long"
        )
        created = await staff.roster_invitation(
            session=session,
            organisation_id=organisation_id,
            roster_entry_id=entry.id or 0,
            created_by=None,
        )
    async with session_pool() as session:
        await staff.redeem_invitation(
            session=session, token=created.token, user_id=teacher, now=MONDAY
        )
        await courses.add_course(
            session=session,
            user_id=teacher,
            course=CourseInput(completed_on=dt.date(2023, 6, 1), title="Курс", provider="orleu"),
        )
    report = await digest_of(session_pool, organisation_id, ruleset)
    moved = next(row for row in report.due_soon if row.full_name == "Overdue Long")
    assert (moved.due_on, moved.days_left, moved.linked) == (dt.date(2026, 6, 1), 27, True)


async def test_files_are_safe_against_formula_injection(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    await fill_roster(session_pool, organisation_id, ruleset)
    report = await digest_of(session_pool, organisation_id, ruleset)
    csv_data, xlsx_data = staff.digest_files(report, "en")
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"))))
    assert rows[0][0] == "Full name"
    names = [row[0] for row in rows[1:]]
    assert names[0] == '\'=HYPERLINK("http://evil")'
    assert not any(name.startswith("=") for name in names)
    assert len(rows) == 1 + 6  # everyone but the one due later
    sheet = load_workbook(io.BytesIO(xlsx_data)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells[0] == '\'=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=1).data_type == "s"  # text, not a formula


async def make_staff(pool: SessionPool, organisation_id: int, telegram_id: int, role: str) -> int:
    user_id = await new_user(pool, telegram_id, language="kk")
    async with pool() as session:
        session.add(Membership(organisation_id=organisation_id, user_id=user_id, role=role))
        await session.commit()
    return user_id


async def test_weekly_digest_goes_once_a_week_to_staff_only(
    session_pool: SessionPool, ruleset: Ruleset, settings: Settings
) -> None:
    organisation_id = await new_organisation(session_pool)
    await fill_roster(session_pool, organisation_id, ruleset)
    head = await make_staff(session_pool, organisation_id, 801, "head")
    await make_staff(session_pool, organisation_id, 802, "teacher")
    blocked = await make_staff(session_pool, organisation_id, 803, "hr")
    async with session_pool() as session:
        user = await session.get(User, blocked)
        assert user is not None
        user.unreachable_at = MONDAY
        await session.commit()
    empty_org = await new_organisation(session_pool, "Пустая школа")
    await make_staff(session_pool, empty_org, 804, "head")  # no roster: nothing to say

    assert await staff.enqueue_weekly_digests(session_pool, settings, ruleset, MONDAY) == 2
    assert await staff.enqueue_weekly_digests(session_pool, settings, ruleset, SUNDAY) == 0
    rows = await outbox(session_pool)
    assert [(row.user_id, row.chat_id, row.dedupe_key) for row in rows] == [
        (head, 801, f"digest:{organisation_id}:{head}:2026-W20"),
        (head, 801, f"digest:{organisation_id}:{head}:2026-W20:xlsx"),
    ]
    text = {language: rendered(rows[0].payload, language) for language in LANGUAGES}
    assert "Апталық шолу" in text["kk"]
    assert "Еженедельная сводка" in text["ru"]
    assert "⛔ Срок курса истёк (4):" in text["ru"]
    assert "(просрочено на 6 дней)" in text["ru"]
    assert "Курс мерзімі өткен (4)" in text["kk"]
    # as of Monday 11.05: "Due Today" (05.05) is 6 days late now and "Due Later" is 85 days off
    assert "Overdue (4)" in text["en"]
    assert "— 05.05.2026 (6 days late)" in text["en"]
    assert "Due within 90 days (2)" in text["en"]
    assert "Overdue Short" in text["kk"]
    assert rendered(rows[1].payload, "kk").startswith("Апталық шолу файлы")
    document = rows[1].payload["document"]
    assert document["filename"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(base64.b64decode(document["content_b64"]))).worksheets[0]
    assert sheet.cell(row=1, column=1).value == "Аты-жөні"  # the head reads Kazakh
    assert sheet.max_row == 1 + 4 + 2 + 1  # header, overdue, due soon, no date
    next_week = MONDAY + dt.timedelta(days=7)
    assert await staff.enqueue_weekly_digests(session_pool, settings, ruleset, next_week) == 2


async def test_digest_job_looks_every_few_minutes_in_almaty_time(
    session_pool: SessionPool, ruleset: Ruleset, settings: Settings
) -> None:
    scheduler = AsyncIOScheduler()
    scheduler.start(paused=True)  # a started scheduler is where replace_existing applies
    try:
        staff.add_digest_job(scheduler, session_pool, settings, ruleset)
        staff.add_digest_job(scheduler, session_pool, settings, ruleset)  # replaces it
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert [job.id for job in jobs] == [staff.DIGEST_JOB_ID]
    trigger = jobs[0].trigger
    assert isinstance(trigger, CronTrigger)
    after = dt.datetime(2026, 5, 5, 12, 1, tzinfo=settings.tz)  # a Tuesday
    fire = trigger.get_next_fire_time(None, after)
    assert fire is not None
    assert (fire.date(), fire.hour, fire.minute) == (dt.date(2026, 5, 5), 12, 5)
    assert fire.utcoffset() == dt.timedelta(hours=5)


def _almaty(day: int, hour: int, minute: int) -> dt.datetime:
    """A moment of the week of Monday 11.05.2026, given in Almaty time (UTC+5)."""
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=5)))


async def test_each_organisation_gets_its_digest_on_its_own_day_and_time(
    session_pool: SessionPool, ruleset: Ruleset, settings: Settings
) -> None:
    """Wednesday 14:30, switched off, and the default Monday 09:00: the job's runs every five
    minutes find each organisation's moment once; a rerun of the same window adds nothing."""
    own = await new_organisation(session_pool, "Среда")
    off = await new_organisation(session_pool, "Выключено")
    default = await new_organisation(session_pool, "По умолчанию")
    for org, telegram_id in ((own, 811), (off, 812), (default, 813)):
        await fill_roster(session_pool, org, ruleset)
        await make_staff(session_pool, org, telegram_id, "hr")
    async with session_pool() as session:
        await set_schedule(
            session=session,
            organisation_id=own,
            enabled=True,
            weekday=2,
            at=dt.time(14, 30),
            by=None,
        )
        await set_schedule(
            session=session, organisation_id=off, enabled=False, weekday=0, at=dt.time(9), by=None
        )

    async def run(at: dt.datetime) -> list[str]:
        before = {row.dedupe_key for row in await outbox(session_pool)}
        since = at - dt.timedelta(minutes=5)
        await staff.enqueue_weekly_digests(session_pool, settings, ruleset, at, since=since)
        return sorted(
            row.dedupe_key.split(":")[1]
            for row in await outbox(session_pool)
            if row.dedupe_key not in before and row.kind == staff.DIGEST_KIND
        )

    assert await run(_almaty(11, 8, 55)) == []
    assert await run(_almaty(11, 9, 0)) == [str(default)]
    assert await run(_almaty(11, 9, 5)) == []
    assert await run(_almaty(13, 14, 25)) == []
    assert await run(_almaty(13, 14, 30)) == [str(own)]
    assert await run(_almaty(13, 14, 30)) == []  # the same window again: the weekly key holds
    assert await run(_almaty(13, 14, 35)) == []
    for day in range(11, 18):  # the switched-off one never, at any hour
        for hour in (9, 14):
            assert str(off) not in await run(_almaty(day, hour, 30))
    rows = [row for row in await outbox(session_pool) if row.kind == staff.DIGEST_KIND]
    assert {row.dedupe_key.rsplit(":", 1)[1] for row in rows} == {"2026-W20"}
    # a run just after midnight on Monday still finds Sunday 23:58 of the week before
    async with session_pool() as session:
        await set_schedule(
            session=session,
            organisation_id=own,
            enabled=True,
            weekday=6,
            at=dt.time(23, 58),
            by=None,
        )
    monday = _almaty(18, 0, 1)
    await staff.enqueue_weekly_digests(
        session_pool, settings, ruleset, monday, since=monday - dt.timedelta(minutes=5)
    )
    keys = {row.dedupe_key for row in await outbox(session_pool)}
    assert any(key.startswith(f"digest:{own}:") and key.endswith(":2026-W20") for key in keys)


def test_a_digest_time_must_be_a_time_outside_the_quiet_hours(settings: Settings) -> None:
    delivery = settings.delivery
    assert check_schedule(weekday="2", time="14:30", delivery=delivery) == (2, dt.time(14, 30))
    for weekday, time, problems in (
        ("2", "22:30", {"time": "quiet"}),
        ("2", "08:59", {"time": "quiet"}),
        ("7", "10:00", {"weekday": "invalid"}),
        ("", "10:00", {"weekday": "invalid"}),
        ("2", "9", {"time": "invalid"}),
        ("2", "25:00", {"time": "invalid"}),
        ("-1", "", {"weekday": "invalid", "time": "invalid"}),
    ):
        with pytest.raises(ScheduleInputError) as error:
            check_schedule(weekday=weekday, time=time, delivery=delivery)
        assert error.value.problems == problems, (weekday, time)
