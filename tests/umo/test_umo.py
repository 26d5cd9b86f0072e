"""Order 400: Annex 2 as data against the seed, and the UMO secretary's yearly duties through the
sweep and outbox at the right local time, once each. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from aiogram import Dispatcher
from sqlmodel import select

from backend import directory, users
from backend.broadcasts import audience
from backend.broadcasts.audience import Audience
from backend.courses import service as courses
from backend.curators import Scope
from backend.db import SessionPool
from backend.models import TopicSubscription
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.umo.directory import SECRETARY_ROLE, load_directory
from testing.chat import started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import deliver
from tests.courses.helpers import at_local, local, new_teacher, outbox, restarted
from tests.rendering import rendered
from tests.sanat_cli import SanatCli
from tests.seed_texts import seed_lines

SEED = "004_9fd1795a672b2f49.txt"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_annex_2_rows_stand_in_the_seed() -> None:
    lines = seed_lines(SEED)
    directory = load_directory()
    for umo in directory.umos:
        assert 93 <= umo.line <= 140, umo
        line = squash(lines[umo.line - 1])
        assert umo.base in line, (umo.direction, umo.base)
        if umo.scope:
            assert f"({umo.scope})" in line, (umo.direction, umo.scope)
        annex = squash(" ".join(lines[92:140]))
        assert umo.name in annex, umo.name
        if umo.direction[0].isdigit():
            assert f"{umo.direction} {umo.name}" in annex
    codes = directory.directions
    assert codes[:3] == ("011", "012", "013")
    assert len(codes) == 46  # 44 training directions + 2 preparatory-department rows
    doubtful = {umo.direction for umo in directory.umos if umo.doubtful}
    assert {"021", "041", "051", "073", "091", "101"} <= doubtful


def test_duties_and_the_date_reading_cite_the_text() -> None:
    lines = seed_lines(SEED)
    directory = load_directory()
    assert directory.act.date == dt.date(2024, 8, 8)
    for number in (7, 43, 90, 144):
        assert f"line {number}" in directory.act.date_reading
    assert "маусым" in lines[6]
    assert "мамыр" in lines[89]
    assert "№ 408" in lines[143]
    for duty in directory.duties:
        assert squash(duty.kk) in squash(lines[duty.lines[0] - 1]), duty.id
    report = next(d for d in directory.duties if d.id == "annual_report")
    assert report.deadline is not None
    assert (report.deadline.month, report.deadline.day) == (10, 1)


async def test_a_umo_secretary_gets_the_1_october_reminder_at_9_local(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    secretary = await new_teacher(session_pool, 8001)
    await new_teacher(session_pool, 8002)  # no role: nothing
    async with session_pool() as session:
        await users.grant_role(session=session, user_id=secretary, role=SECRETARY_ROLE)
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 9, 30, 12)) == 0
    # 00:30 on 1 October is quiet: the reminder waits for 09:00 that morning
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 10, 1, 0, 30)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 10, 1, 12)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 10, 2, 12)) == 0
    (row,) = await outbox(session_pool)
    assert row.user_id == secretary
    assert row.dedupe_key == f"umo:annual_report:2027-10-01:{secretary}"
    assert at_local(row.next_attempt_at).replace(tzinfo=None) == dt.datetime(2027, 10, 1, 9)
    assert "01.10.2027" in rendered(row.payload, "ru")
    assert "1 қазаннан" in rendered(row.payload, "kk")


async def test_missed_days_catch_up_once(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    secretary = await new_teacher(session_pool, 8101)
    async with session_pool() as session:
        await users.grant_role(session=session, user_id=secretary, role=SECRETARY_ROLE)
    # down from 31 August to 3 September: the work-plan reminder of 1 September still goes out
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 9, 3, 12)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 9, 4, 12)) == 0
    (row,) = await outbox(session_pool)
    assert row.payload["duty"] == "work_plan"
    assert "допущение" in rendered(row.payload, "ru")
    assert "болжам" in rendered(row.payload, "kk")


def test_cli_lists_the_directory_and_grants_the_role(sanat_cli: SanatCli) -> None:
    listed = sanat_cli("admin", "umo", "list", "--direction", "014")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("014 ") == 3
    assert "Қазақ спорт және туризм академиясы (Дене шынықтыру мұғалімдерін даярлау)" in (
        listed.stdout
    )
    assert sanat_cli("migrate").returncode == 0
    missing = sanat_cli("admin", "umo", "secretary", "grant", "123")
    assert missing.returncode == 1
    assert "open the bot" in missing.stderr
    with sqlite3.connect(sanat_cli.database) as db:
        db.execute(
            "INSERT INTO user (telegram_id, created_at, updated_at) VALUES (123, "
            "'2026-12-04 00:00:00', '2026-12-04 00:00:00')"
        )
    assert sanat_cli("admin", "umo", "secretary", "grant", "123").returncode == 0
    with sqlite3.connect(sanat_cli.database) as db:
        assert db.execute("SELECT role FROM user_role").fetchall() == [(SECRETARY_ROLE,)]
    assert sanat_cli("admin", "umo", "secretary", "revoke", "123").returncode == 0
    with sqlite3.connect(sanat_cli.database) as db:
        assert db.execute("SELECT role FROM user_role").fetchall() == []


async def test_a_lecturer_picks_a_direction_and_is_in_its_umo_news_audience(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7601)
    await chat.send("/university")
    await chat.press("Моё направление подготовки")
    assert "011" in str(chat.last_screen().text)
    await chat.press("011")
    assert "Абай атындағы Қазақ ұлттық педагогикалық университеті" in str(chat.last_screen().text)
    await chat.press("Моё направление подготовки")
    await chat.press("014")
    assert "Дене шынықтыру" in str(chat.last_screen().text)
    user_id = await user_id_of(session_pool, chat)
    async with session_pool() as session:
        rows = (
            await session.exec(
                select(TopicSubscription).where(TopicSubscription.user_id == user_id)
            )
        ).all()
        # the earlier direction's row is dropped: the one UMO row is the direction picked
        assert {(row.topic, row.subscribed) for row in rows} == {("umo:014", True)}
        assert await audience.count(session, Scope(), "umo:014", Audience()) == 1
        assert await audience.count(session, Scope(), "umo:011", Audience()) == 0
    assert directory.is_topic("umo:014")
    assert not directory.is_topic("umo:999")
    assert directory.topic("umo:014").default_on is False


async def test_the_1_october_reminder_reaches_the_secretary_at_9_almaty_once_across_restarts(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset, database_url: str
) -> None:
    secretary = await new_teacher(session_pool, 8201)  # speaks Kazakh
    async with session_pool() as session:
        await users.grant_role(session=session, user_id=secretary, role=SECRETARY_ROLE)
    bot = MockedBot()
    # the backend restarts between every step: a new engine each time, nothing kept in memory
    async with restarted(database_url) as pool:
        assert await courses.sweep(pool, settings, ruleset, local(2027, 10, 1, 0, 30)) == 1
        assert await deliver(pool, bot, local(2027, 10, 1, 8, 59)) == 0  # quiet until 09:00
    assert not bot.sent("SendMessage")
    async with restarted(database_url) as pool:
        assert await courses.sweep(pool, settings, ruleset, local(2027, 10, 1, 8, 59)) == 0
        assert await deliver(pool, bot, local(2027, 10, 1, 9)) == 1
    async with restarted(database_url) as pool:
        for hour in (9, 12, 19):
            assert await courses.sweep(pool, settings, ruleset, local(2027, 10, 1, hour)) == 0
        assert await courses.sweep(pool, settings, ruleset, local(2027, 10, 5, 12)) == 0
        assert await deliver(pool, bot, local(2027, 10, 5, 12)) == 0
    [sent] = bot.sent("SendMessage")
    assert sent.chat_id == 8201
    assert "1 қазаннан" in sent.text  # the duty in the words of the order (kk)
    assert "01.10.2027" in sent.text
