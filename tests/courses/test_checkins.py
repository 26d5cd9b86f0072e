"""Course kinds, programmes and topics (Order 266 paras 25-26) and the post-course check-ins of
para 31: through the sweep and outbox (quiet hours, opt-out, exactly once, restart-safe), the bot
(real dispatcher) and the anonymised counts in the digest and the API. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from backend.courses import checkins
from backend.courses import service as courses
from backend.courses.programmes import load_programmes
from backend.courses.validation import CourseInputError, validate_changes
from backend.db import SessionPool
from backend.models import CourseCheckin, Membership, Organisation, ReminderPreference
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.staff.digest import digest_text
from backend.staff.weekly_digest import digest as build_digest
from backend.web.app import create_app
from backend.web.keys import clock_key
from testing.chat import started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import deliver
from tests.courses.helpers import add_course, at_local, local, new_teacher, outbox, restarted
from tests.rendering import button_labels, rendered
from tests.seed_texts import seed_lines

SEED = "001_2a0aee6cb2e2fd2b.txt"
Client = TestClient[web.Request, web.Application]
COMPLETED = dt.date(2026, 1, 10)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_programmes_stand_verbatim_in_the_seed_at_their_lines() -> None:
    lines = seed_lines(SEED)
    catalog = load_programmes()
    assert [p.clause for p in catalog.programmes] == [1, 2, 3, 4, 5, 6, 7]
    for programme in catalog.programmes:
        first, last = programme.lines
        cited = squash(" ".join(lines[first - 1 : last]))
        assert programme.kk in cited, programme.id
        assert f"{programme.annex}-қосымшаға" in cited
        assert "рабочий перевод" in programme.ru
    rule = catalog.certificate_rule
    assert rule.kk in squash(" ".join(lines[rule.lines[0] - 1 : rule.lines[1]])).replace("«", "")
    support = catalog.post_course_support
    assert "курстан кейінгі қолдауды" in squash(
        " ".join(lines[support.lines[0] - 1 : support.lines[1]])
    )
    assert support.assumption  # the months are not in the text


def test_kind_programme_and_topic_validation() -> None:
    today = dt.date(2026, 12, 4)
    assert validate_changes({"programme": "p3"}, today) == {
        "programme": "p3",
        "course_kind": "long_term",
    }
    assert validate_changes({"course_kind": "short"}, today) == {
        "course_kind": "short",
        "programme": None,
    }
    with pytest.raises(CourseInputError) as error:
        validate_changes({"course_kind": "short", "programme": "p1"}, today)
    assert error.value.codes == ["programme_needs_long_term"]
    with pytest.raises(CourseInputError) as error:
        validate_changes({"programme": "p8", "course_kind": "weekend"}, today)
    assert sorted(error.value.codes) == ["course_kind_unknown", "programme_unknown"]


def test_stages_never_overlap() -> None:
    for offset in range(0, 400, 3):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
        ranges = checkins.stage_ranges(day)
        for (_, first_lo, first_hi), (_, second_lo, second_hi) in itertools.pairwise(ranges):
            assert first_lo <= first_hi
            assert second_lo <= second_hi
            assert second_hi < first_lo  # later stages: older completions, disjoint
    assert checkins.months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


async def test_three_checkins_arrive_once_each(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    teacher = await new_teacher(session_pool, 6001)
    stopped = await new_teacher(session_pool, 6002)
    course_id = await add_course(session_pool, teacher, COMPLETED)
    await add_course(session_pool, stopped, COMPLETED)
    async with session_pool() as session:
        session.add(ReminderPreference(user_id=stopped, stopped=True))
        await session.commit()
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 2, 9, 12)) == 0
    # 22:00 is quiet: the first check-in goes out at 09:00 the next morning
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 2, 9, 22)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 2, 10, 12)) == 0
    (first,) = await outbox(session_pool)
    assert first.dedupe_key == f"checkin:{course_id}:1"
    assert first.kind == "course_checkin"
    assert at_local(first.next_attempt_at).replace(tzinfo=None) == dt.datetime(2026, 2, 10, 9)
    assert first.payload["buttons"][0][0]["callback_data"] == f"ci:{course_id}:1:a:yes"
    assert "№266" in rendered(first.payload, "ru")
    assert "пункт 31" in rendered(first.payload, "ru")
    assert "№266" in rendered(first.payload, "kk")
    assert "31-тармақ" in rendered(first.payload, "kk")
    assert button_labels(first.payload, "kk") == ["✅ Иә", "〰 Ішінара", "❌ Жоқ"]
    assert button_labels(first.payload, "ru") == ["✅ Да", "〰 Частично", "❌ Нет"]
    for day in (dt.date(2026, 3, 1), dt.date(2026, 4, 10), dt.date(2026, 5, 1)):
        await courses.sweep(session_pool, settings, ruleset, local(day.year, day.month, day.day))
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 7, 10)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 8, 1)) == 0
    keys = [row.dedupe_key for row in await outbox(session_pool)]
    assert keys == [f"checkin:{course_id}:{months}" for months in (1, 3, 6)]
    assert all(row.user_id == teacher for row in await outbox(session_pool))


async def test_after_downtime_only_the_current_checkin_goes_out(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    teacher = await new_teacher(session_pool, 6101)
    course_id = await add_course(session_pool, teacher, COMPLETED)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 2)) == 1
    assert [row.dedupe_key for row in await outbox(session_pool)] == [f"checkin:{course_id}:3"]
    # a course recorded years later brings no check-in at all
    old = await new_teacher(session_pool, 6102)
    await add_course(session_pool, old, dt.date(2024, 1, 10))
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 3)) == 0


async def test_answers_in_the_bot(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7401)
    user_id = await user_id_of(session_pool, chat)
    course_id = await add_course(session_pool, user_id, COMPLETED)
    await chat.press_data(f"ci:{course_id}:1:a:partly")
    assert "методическую поддержку" in chat.last_screen().text
    await chat.press("Да, нужна поддержка")
    async with session_pool() as session:
        (answer,) = (await session.exec(select(CourseCheckin))).all()
    assert (answer.course_id, answer.months, answer.applied, answer.wants_support) == (
        course_id,
        1,
        "partly",
        True,
    )
    assert "просьба о методической поддержке сохранена" in str(
        bot.sent("AnswerCallbackQuery")[-1].text
    )
    # someone else's course, or a stage that does not exist, is not found
    other = await started_chat(dispatcher, bot, 7402)
    await other.press_data(f"ci:{course_id}:1:a:yes")
    await other.press_data(f"ci:{course_id}:2:s:no")
    answers = [str(r.text) for r in bot.sent("AnswerCallbackQuery")[-2:]]
    assert answers == ["Этот опрос больше недоступен."] * 2
    async with session_pool() as session:
        (answer,) = (await session.exec(select(CourseCheckin))).all()
    assert answer.applied == "partly"


async def _organisation_with_answers(pool: SessionPool, answers: list[tuple[str, bool]]) -> int:
    async with pool() as session:
        organisation = Organisation(name="№1 мектеп", kind="school")
        session.add(organisation)
        await session.commit()
        assert organisation.id is not None
        organisation_id = organisation.id
    for index, (applied, support) in enumerate(answers):
        user_id = await new_teacher(pool, 6200 + index)
        course_id = await add_course(pool, user_id, COMPLETED)
        async with pool() as session:
            session.add(
                Membership(organisation_id=organisation_id, user_id=user_id, role="teacher")
            )
            await session.commit()
            await checkins.record_answer(
                session=session, user_id=user_id, course_id=course_id, months=1, applied=applied
            )
            await checkins.record_answer(
                session=session,
                user_id=user_id,
                course_id=course_id,
                months=1,
                wants_support=support,
            )
    return organisation_id


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, auth_headers: dict[str, str]
) -> AsyncIterator[Client]:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: local(2026, 3, 1)
    async with TestClient(TestServer(app, host="127.0.0.1"), headers=auth_headers) as client:
        yield client


async def test_anonymised_counts_in_the_api_and_the_digest(
    client: Client, session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await _organisation_with_answers(
        session_pool, [("yes", True), ("partly", False), ("yes", True)]
    )
    response = await client.get(f"/api/v1/organisations/{organisation_id}/course-checkins")
    body = await response.json()
    assert response.status == 200
    assert body["respondents"] == 3
    assert body["applied"] == {"yes": 2, "partly": 1, "no": 0}
    assert body["wants_support"] == 2
    assert body["schedule_is_assumption"] is True
    assert body["checkin_months"] == [1, 3, 6]
    async with session_pool() as session:
        report = await build_digest(
            session=session,
            organisation_id=organisation_id,
            today=dt.date(2026, 3, 1),
            ruleset=ruleset,
        )
    assert "применили — 2, частично — 1, нет — 0; просят методическую поддержку — 2" in (
        digest_text(report, "ru", 30)
    )
    missing = await client.get("/api/v1/organisations/999999/course-checkins")
    assert missing.status == 404


async def test_too_few_answers_are_withheld(client: Client, session_pool: SessionPool) -> None:
    organisation_id = await _organisation_with_answers(session_pool, [("no", True)])
    body = await (
        await client.get(f"/api/v1/organisations/{organisation_id}/course-checkins")
    ).json()
    assert (body["respondents"], body["withheld"], body["applied"]) == (1, True, None)


async def test_the_api_carries_kind_programme_and_topic(
    client: Client, session_pool: SessionPool
) -> None:
    await new_teacher(session_pool, 778)
    base = "/api/v1/users/778/courses"
    response = await client.post(
        base,
        json={
            "completed_on": "2025-11-01",
            "title": "Тиімді оқыту",
            "provider": "orleu",
            "programme": "p3",
            "topic": "Сабақтағы бағалау",
        },
    )
    created = await response.json()
    assert response.status == 201, created
    assert (created["course_kind"], created["programme"], created["topic"]) == (
        "long_term",
        "p3",
        "Сабақтағы бағалау",
    )
    changed = await client.patch(f"{base}/{created['id']}", json={"course_kind": "heads"})
    assert (await changed.json())["programme"] is None
    bad = await client.post(
        base,
        json={
            "completed_on": "2025-11-01",
            "title": "X",
            "provider": "orleu",
            "course_kind": "short",
            "programme": "p1",
        },
    )
    assert bad.status == 422


async def test_three_checkins_are_delivered_once_each_across_restarts(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset, database_url: str
) -> None:
    teacher = await new_teacher(session_pool, 6301)
    course_id = await add_course(session_pool, teacher, COMPLETED)
    bot = MockedBot()
    days = [
        dt.date(2026, 2, 10),
        dt.date(2026, 2, 11),
        dt.date(2026, 3, 15),
        dt.date(2026, 4, 10),
        dt.date(2026, 4, 11),
        dt.date(2026, 6, 1),
        dt.date(2026, 7, 10),
        dt.date(2026, 7, 11),
    ]
    for _round in range(2):  # the second round: every day again, as after a crash and restore
        for day in days:
            for hour in (12, 15):  # a restart (new engine) between two sweeps of one day
                async with restarted(database_url) as pool:
                    await courses.sweep(
                        pool, settings, ruleset, local(day.year, day.month, day.day, hour)
                    )
                    await deliver(pool, bot, local(day.year, day.month, day.day, hour))
    sent = [r for r in bot.sent("SendMessage") if r.chat_id == 6301]
    stages = [r.reply_markup.inline_keyboard[0][0].callback_data for r in sent]
    assert stages == [f"ci:{course_id}:{months}:a:yes" for months in (1, 3, 6)]
    assert all("31-тармақ" in str(r.text) for r in sent)  # in the teacher's Kazakh
    keys = [row.dedupe_key for row in await outbox(session_pool)]
    assert keys == [f"checkin:{course_id}:{months}" for months in (1, 3, 6)]
    assert {row.status for row in await outbox(session_pool)} == {"sent"}
