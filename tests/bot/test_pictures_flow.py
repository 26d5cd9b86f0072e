"""The pictures through the real dispatcher, in Kazakh and Russian, on SQLite and PostgreSQL:
the course timeline, the result card, the broadcast reach chart."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from aiogram import Dispatcher
from PIL import Image
from sqlmodel import col, select

from backend import directory
from backend.broadcasts import service as broadcasts
from backend.broadcasts import ticker as broadcast_ticker
from backend.broadcasts.reach import reach_chart, reach_data
from backend.broadcasts.service import Audience
from backend.courses import service as courses
from backend.courses.timeline import timeline_png
from backend.db import SessionPool
from backend.models import Assessment, Notification
from backend.models.types import utcnow
from backend.pictures.catalog import catalog_for
from backend.pictures.reach import Counts
from backend.pictures.result_card import render_result_card
from backend.pictures.style import WIDTH
from backend.rules import assessments
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.factory import create_i18n
from bot.handlers.assessment.card import result_card
from bot.handlers.courses.callbacks import CourseCallback
from bot.shared.menu import LANGUAGE_LABELS
from testing.chat import Chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.bot.broadcast_support import add_people, make_curator
from tests.courses.helpers import add_course

CAPTION_WORD = {"kk": "дейін", "ru": "до"}


async def chat_in(dispatcher: Dispatcher, bot: MockedBot, user_id: int, language: str) -> Chat:
    chat = Chat(dispatcher, bot, user_id=user_id, language=language)
    await chat.send("/start")
    await chat.press(LANGUAGE_LABELS[language])
    return chat


def png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.size


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_timeline_is_a_photo_in_the_users_language(
    dispatcher: Dispatcher,
    bot: MockedBot,
    *,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    language: str,
) -> None:
    chat = await chat_in(dispatcher, bot, 7301, language)
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10), title="Инклюзивті білім")
    await chat.press_data(CourseCallback(a="open").pack())
    await chat.press("🖼")
    [sent] = bot.sent("SendPhoto")
    assert sent.chat_id == chat.user.id
    assert sent.photo.filename == "timeline.png"
    width, height = png_size(sent.photo.data)
    assert width == WIDTH
    assert 400 <= height <= 800
    assert "10.01.2027" in sent.caption
    assert CAPTION_WORD[language] in sent.caption.split()
    # the very picture of these courses with the words of the user's catalog
    async with session_pool() as session:
        records = await courses.list_courses(session=session, user_id=user_id)
    expected = await timeline_png(
        records=records,
        due=dt.date(2027, 1, 10),
        today=assessments.today_in(settings.tz),
        windows=ruleset.meta.refresher.testing_windows,
        catalog=catalog_for(settings.locales_dir, language),
    )
    assert sent.photo.data == expected


PATH_TO_RESULT = {
    # the school kind, subject teachers (3.7), higher pedagogical education, 5.5 years, and
    # every competency ticked ("Tick all", then Done) for each of the five categories
    "kk": ("Бастауыш", "Барлық мамандықтардың пән мұғалімдері", "Жоғары", "Иә", "Барлығын"),
    "ru": ("Начальное", "Учителя всех специальностей", "Высшее", "Да", "Отметить все"),
}
CARD_CAPTION = {"kk": "Нәтижеңіз сурет түрінде", "ru": "Ваш результат картинкой"}


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_result_card_is_sent_in_the_users_language(
    dispatcher: Dispatcher,
    bot: MockedBot,
    *,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    language: str,
) -> None:
    chat = await chat_in(dispatcher, bot, 7302, language)
    org_kind, position, education, yes, everything = PATH_TO_RESULT[language]
    await chat.press("📝")
    await chat.press(org_kind)
    await chat.press(position)
    await chat.press(education)
    await chat.press(yes)
    await chat.send("5,5")
    for _category in range(5):
        await chat.press(everything)
        await chat.press("✔")
    await chat.press("🖼")
    [sent] = bot.sent("SendPhoto") or bot.sent("SendDocument")
    picture = sent.photo if hasattr(sent, "photo") else sent.document
    assert sent.chat_id == chat.user.id
    assert picture.filename == "sanat-result.png"
    assert CARD_CAPTION[language] in sent.caption
    width, height = png_size(picture.data)
    assert width == WIDTH
    assert 900 <= height <= 4000
    # the very card of the stored outcome with the words of the user's catalog
    async with session_pool() as session:
        stored = (await session.exec(select(Assessment))).one()
    i18n = create_i18n(settings)
    with i18n.context(), i18n.use_locale(language):
        card = result_card(stored.outcome, ruleset, language)
    assert card.position == ruleset.positions["3.7"].name.get(language)
    assert picture.data == render_result_card(card)


REACH_CAPTION = {"kk": "таратудың қамтуы", "ru": "Охват рассылки"}


async def finished_broadcast(session_pool: SessionPool, curator_id: int) -> int:
    """A broadcast to people in two regions: 6 sent over a few minutes, 2 blocked, 1 failed."""
    await add_people(session_pool, 5, region="astana")
    await add_people(session_pool, 4, region="almaty")
    async with session_pool() as session:
        draft = await broadcasts.create_draft(
            session=session,
            actor_id=curator_id,
            content={"ru": {"type": "text", "text": "Сәлем"}},
            topic="news",
            audience=Audience(),
        )
        assert draft.id is not None
        await broadcasts.start(session=session, actor_id=curator_id, broadcast_id=draft.id)
        rows = list(
            (
                await session.exec(
                    select(Notification)
                    .where(col(Notification.broadcast_id) == draft.id)
                    .order_by(col(Notification.id))
                )
            ).all()
        )
        started = utcnow() - dt.timedelta(minutes=30)
        for index, row in enumerate(rows):
            if index < len(rows) - 3:
                row.status, row.sent_at = "sent", started + dt.timedelta(minutes=index)
            else:
                row.status = "failed"
                row.next_attempt_at = started + dt.timedelta(minutes=index)
                row.last_error = "chat not found" if index == len(rows) - 1 else "blocked: 403"
            session.add(row)
        await session.commit()
        assert await broadcast_ticker.finish_if_done(
            session=session, broadcast_id=draft.id, now=utcnow()
        )
        return draft.id


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_reach_chart_comes_beside_the_csv_report(
    dispatcher: Dispatcher,
    bot: MockedBot,
    *,
    session_pool: SessionPool,
    settings: Settings,
    language: str,
) -> None:
    chat = await chat_in(dispatcher, bot, 7303, language)
    curator_id = await make_curator(session_pool, chat)
    broadcast_id = await finished_broadcast(session_pool, curator_id)
    await chat.press_data(f"bc:csv:{broadcast_id}")
    [report] = bot.sent("SendDocument")
    assert report.document.filename == f"broadcast-{broadcast_id}.csv"
    [chart] = bot.sent("SendPhoto")
    assert chart.chat_id == chat.user.id
    assert chart.photo.filename == f"broadcast-{broadcast_id}-reach.png"
    assert REACH_CAPTION[language] in chart.caption
    width, height = png_size(chart.photo.data)
    assert width == WIDTH
    assert 700 <= height <= 1400
    # the very chart of these outbox rows with the words of the curator's catalog
    async with session_pool() as session:
        data, grouping = await reach_data(
            session=session,
            broadcast_id=broadcast_id,
            recipients=10,
            tz=settings.tz,
            language=language,
            catalog=catalog_for(settings.locales_dir, language),
        )
        expected = await reach_chart(
            session=session,
            broadcast_id=broadcast_id,
            recipients=10,
            tz=settings.tz,
            language=language,
            catalog=catalog_for(settings.locales_dir, language),
        )
    assert grouping == "region"  # people in Astana and Almaty (the curator has none)
    assert data.points[-1].counts == Counts(sent=7, blocked=2, failed=1)
    assert {group.name for group in data.groups} >= {
        directory.region("astana").name(language),
        directory.region("almaty").name(language),
    }
    assert chart.photo.data == expected
