"""The monthly duty reminder and the September reminder (seed 003, section 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import delete

from backend.channels import duty
from backend.db import SessionPool
from backend.models import Channel, Submission, User
from backend.models.types import utcnow
from backend.scheduler import create_scheduler
from backend.settings import Settings
from tests.channels.helpers import make_channel, make_org, make_user, outbox
from tests.rendering import LANGUAGES, button_labels, rendered


def local(settings: Settings, *args: int) -> dt.datetime:
    """A UTC instant given as an Almaty wall-clock time (year, month, day, hour[, minute])."""
    year, month, day, hour, *rest = args
    wall = dt.datetime(year, month, day, hour, rest[0] if rest else 0, tzinfo=settings.tz)
    return wall.astimezone(dt.UTC)


async def test_the_reminder_waits_for_the_day_and_the_time_then_comes_once(
    session_pool: SessionPool, settings: Settings
) -> None:
    employee = await make_user(session_pool, 8001)
    org = await make_org(
        session_pool,
        "Көлік колледжі",
        members={employee: "teacher"},
        duty_day=10,
        responsible=employee,
    )
    await make_org(session_pool, "No duty set", members={employee: "teacher"})
    run = duty.enqueue_duty_reminders
    assert await run(session_pool, settings, local(settings, 2026, 3, 9, 12)) == 0  # day before
    assert await run(session_pool, settings, local(settings, 2026, 3, 10, 9, 59)) == 0  # too early
    assert await run(session_pool, settings, local(settings, 2026, 3, 10, 10, 1)) == 1
    assert await run(session_pool, settings, local(settings, 2026, 3, 10, 11)) == 0  # dedupe
    assert await run(session_pool, settings, local(settings, 2026, 3, 25, 11)) == 0
    [row] = await outbox(session_pool, duty.DUTY_KIND)
    assert row.dedupe_key == f"duty:{org}:2026-03"
    assert (row.user_id, row.chat_id) == (employee, 8001)
    assert row.payload["buttons"][0][0]["callback_data"] == f"duty:{org}"
    texts = {language: rendered(row.payload, language) for language in LANGUAGES}
    assert "айына кемінде бір рет" in texts["kk"]
    assert "не реже одного раза в месяц" in texts["ru"]
    assert "at least once a month" in texts["en"]
    assert button_labels(row.payload, "kk") == ["📤 Материал жіберу"]
    assert button_labels(row.payload, "ru") == ["📤 Отправить материал"]
    # the next month asks again; a day past the duty day still counts (the job may have slept)
    assert await run(session_pool, settings, local(settings, 2026, 4, 20, 18)) == 1
    assert [r.dedupe_key for r in await outbox(session_pool, duty.DUTY_KIND)][-1] == (
        f"duty:{org}:2026-04"
    )


async def test_the_almaty_date_decides_not_the_utc_one(
    session_pool: SessionPool, settings: Settings
) -> None:
    employee = await make_user(session_pool, 8002)
    await make_org(session_pool, "Org", members={employee: "hr"}, duty_day=1, responsible=employee)
    settings.broadcast.duty_reminder_time = dt.time(0, 30)
    # 31 March 20:00 UTC is 1 April 01:00 in Almaty: already the duty day there
    now = dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC)
    assert await duty.enqueue_duty_reminders(session_pool, settings, now) == 1
    [row] = await outbox(session_pool)
    assert row.dedupe_key.endswith(":2026-04")


async def test_material_already_submitted_this_month_means_no_reminder(
    session_pool: SessionPool, settings: Settings
) -> None:
    employee = await make_user(session_pool, 8003)
    org = await make_org(
        session_pool, "Org", members={employee: "teacher"}, duty_day=5, responsible=employee
    )
    async with session_pool() as session:
        session.add(
            Submission(
                organisation_id=org,
                user_id=employee,
                month="2026-05",
                source_chat_id=8003,
                source_message_id=1,
            )
        )
        session.add(
            Submission(
                organisation_id=org,
                user_id=employee,
                month="2026-06",
                source_chat_id=8003,
                source_message_id=2,
                status="rejected",
            )
        )
        await session.commit()
    run = duty.enqueue_duty_reminders
    assert await run(session_pool, settings, local(settings, 2026, 5, 6, 12)) == 0
    # a rejected submission does not fulfil the duty
    assert await run(session_pool, settings, local(settings, 2026, 6, 6, 12)) == 1


async def test_september_reminder_carries_the_organisations_channel_links(
    session_pool: SessionPool, settings: Settings
) -> None:
    head = await make_user(session_pool, 8101)
    hr = await make_user(session_pool, 8102)
    methodist = await make_user(session_pool, 8103)
    teacher = await make_user(session_pool, 8104)
    org = await make_org(
        session_pool,
        "Қызылорда колледжі",
        members={head: "head", hr: "hr", methodist: "methodist", teacher: "teacher"},
    )
    await make_channel(
        session_pool, -100, links={"channel": "https://t.me/national"}
    )  # national: only a fallback
    await make_channel(
        session_pool, -200, organisation_id=org, links={"chat": "https://t.me/+Org1"}
    )
    run = duty.enqueue_september_reminders
    assert await run(session_pool, settings, local(settings, 2026, 8, 31, 12)) == 0
    assert await run(session_pool, settings, local(settings, 2026, 9, 1, 9)) == 0  # before 10:00
    assert await run(session_pool, settings, local(settings, 2026, 9, 1, 10, 30)) == 3
    assert await run(session_pool, settings, local(settings, 2026, 9, 15, 10, 30)) == 0
    rows = await outbox(session_pool, duty.SEPTEMBER_KIND)
    assert sorted(r.user_id for r in rows if r.user_id) == sorted([head, hr, methodist])
    assert {r.dedupe_key for r in rows} == {
        f"september:{org}:{u}:2026" for u in (head, hr, methodist)
    }
    for row in rows:
        for language in ("kk", "ru", "en"):
            assert "https://t.me/+Org1" in rendered(row.payload, language)
            assert "national" not in rendered(row.payload, language)
    # next year again
    assert await run(session_pool, settings, local(settings, 2027, 9, 2, 11)) == 3


async def test_september_reminder_falls_back_to_the_national_channel_then_to_the_curator(
    session_pool: SessionPool, settings: Settings
) -> None:
    head = await make_user(session_pool, 8201)
    other_head = await make_user(session_pool, 8202)
    with_fallback = await make_org(session_pool, "A", members={head: "head"})
    await make_channel(session_pool, -300, links={"channel": "https://t.me/zhastalapeducation"})
    now = local(settings, 2026, 9, 3, 12)
    assert await duty.enqueue_september_reminders(session_pool, settings, now) == 1
    [row] = await outbox(session_pool)
    assert "https://t.me/zhastalapeducation" in rendered(row.payload, "en")
    assert row.dedupe_key == f"september:{with_fallback}:{head}:2026"
    # without any links: asked to get them from the curator, and no URL is made up
    async with session_pool() as session:
        await session.exec(delete(Channel))
        await session.commit()
    await make_org(session_pool, "B", members={other_head: "head"})
    assert await duty.enqueue_september_reminders(session_pool, settings, now) == 1
    last = (await outbox(session_pool))[-1]
    assert last.user_id == other_head
    assert "ask your curator" in rendered(last.payload, "en")
    assert "куратордан сұраңыз" in rendered(last.payload, "kk")
    assert "уточните у куратора" in rendered(last.payload, "ru")
    assert all("t.me" not in rendered(last.payload, language) for language in LANGUAGES)


async def test_unreachable_people_get_neither_reminder(
    session_pool: SessionPool, settings: Settings
) -> None:
    employee = await make_user(session_pool, 8401)
    head = await make_user(session_pool, 8402)
    hr = await make_user(session_pool, 8403)
    await make_org(
        session_pool,
        "Org",
        members={employee: "teacher", head: "head", hr: "hr"},
        duty_day=1,
        responsible=employee,
    )
    async with session_pool() as session:
        # the employee and the head blocked the bot; HR did not
        for user_id in (employee, head):
            user = await session.get(User, user_id)
            assert user is not None
            user.unreachable_at = utcnow()
            session.add(user)
        await session.commit()
    now = local(settings, 2026, 9, 2, 12)
    assert await duty.enqueue_duty_reminders(session_pool, settings, now) == 0
    assert await duty.enqueue_september_reminders(session_pool, settings, now) == 1
    [row] = await outbox(session_pool)
    assert (row.kind, row.user_id) == (duty.SEPTEMBER_KIND, hr)


@pytest.mark.parametrize(
    ("day", "who", "actor", "error"),
    [
        (29, "teacher", "head", duty.DutyInputError),
        (0, "teacher", "head", duty.DutyInputError),
        (5, "stranger", "head", duty.DutyInputError),
        (5, "teacher", "teacher", duty.DutyAccessError),
    ],
)
async def test_set_duty_refuses_bad_days_strangers_and_non_heads(
    session_pool: SessionPool, day: int, who: str, actor: str, error: type[Exception]
) -> None:
    people = {
        "head": await make_user(session_pool, 8301),
        "teacher": await make_user(session_pool, 8302),
        "stranger": await make_user(session_pool, 8303),
    }
    org = await make_org(
        session_pool, "Org", members={people["head"]: "head", people["teacher"]: "teacher"}
    )
    async with session_pool() as session:
        with pytest.raises(error):
            await duty.set_duty(session, org, day, people[who], actor_id=people[actor])
        stored = await duty.set_duty(session, org, 28, people["teacher"], actor_id=people["head"])
    assert (stored.duty_day, stored.responsible_user_id) == (28, people["teacher"])


async def test_the_jobs_have_fixed_ids_and_are_not_duplicated(
    session_pool: SessionPool, settings: Settings
) -> None:
    scheduler = create_scheduler(settings.scheduler)
    duty.add_duty_jobs(scheduler, session_pool, settings)
    duty.add_duty_jobs(scheduler, session_pool, settings)  # a restart re-adds them
    scheduler.start(paused=True)
    try:
        assert sorted(job.id for job in scheduler.get_jobs()) == [
            duty.DUTY_JOB_ID,
            duty.SEPTEMBER_JOB_ID,
        ]
    finally:
        scheduler.shutdown(wait=False)
