"""University teaching staff (Order 616): the card data against the seed, the self-check in the
bot (real dispatcher, kk and ru, a second check compared with the first) and over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.university.cards import load_cards
from backend.web.app import create_app
from testing.chat import Chat, started_chat
from testing.mocked_bot import MockedBot
from tests.courses.helpers import new_teacher
from tests.seed_texts import seed_lines

SEED = "000_f549413c4f15f9eb.txt"
Client = TestClient[web.Request, web.Application]
# wordings of the replaced rows that the amendment drops: none may be used
OLD_WORDINGS = (
    "ескере отырып магистратура мен докторантурада оқу сабақтарын",
    "пайдалана отырып, магистратура және докторантура білім алушыларымен",
    "бакалавриат пен магистратурада сабақтардың барлық түрлерін",
    "пайдалана отырып магистратура және докторантура білім алушыларымен",
    "оқу сабақтарын ( дәрістерден басқа) ұйымдастыру",
)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_kk_item_stands_word_for_word_in_the_amended_rows() -> None:
    lines = seed_lines(SEED)
    catalog = load_cards()
    assert [len(catalog.items_of(card)) for card in (3, 4, 5)] == [16, 10, 10]
    amended = catalog.amended_ranges
    assert amended == ((88, 153), (203, 243), (316, 382), (455, 520))
    for item in catalog.items:
        first, last = item.lines
        assert any(lo <= first and last <= hi for lo, hi in amended), item.id
        cited = squash(" ".join(lines[first - 1 : last]))
        assert item.kk in cited, item.id
        assert item.ru, item.id
        for old in OLD_WORDINGS:
            assert old not in item.kk, (item.id, old)
    # the old wordings are really in the seed, outside the amended rows: the check can fail
    replaced = squash(" ".join(lines[19:86] + lines[155:198] + lines[245:314] + lines[384:453]))
    assert all(old in replaced for old in OLD_WORDINGS)
    for card in catalog.cards:
        heading = squash(" ".join(lines[card.lines[0] - 1 : card.lines[1]]))
        assert card.kk in heading, card.card
        assert "рабочий перевод" in card.ru


def test_doubtful_rows_are_recorded() -> None:
    catalog = load_cards()
    noted = {item.id for item in catalog.items if item.note}
    assert {"c3-f3-s1-a1", "c4-f1-s1-k2", "c5-f1-s1-k3"} <= noted
    assert catalog.card(5) is not None
    assert catalog.card(5).note  # type: ignore[union-attr]


async def _kazakh_chat(dispatcher: Dispatcher, bot: MockedBot, user_id: int) -> Chat:
    chat = Chat(dispatcher, bot, user_id=user_id, language="kk")
    await chat.send("/start")
    await chat.press("Қазақша")
    return chat


async def _complete(chat: Chat, card_label: str, answers: list[str]) -> str:
    await chat.press(card_label)
    for answer in answers:
        await chat.press(answer)
    return str(chat.last_screen().text)


async def test_self_check_in_russian_twice_with_a_comparison(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = await started_chat(dispatcher, bot, 7501)
    await chat.send("/start")
    await chat.press("Самооценка")
    await chat.press("Вуз")
    screen = str(chat.last_screen().text)
    assert "карточек 1-2" in screen
    assert "не размещается на лестнице категорий" in screen
    first = await _complete(chat, "4.", ["Пока нет"] * 5 + ["Уверенно"] * 5)
    assert "Результат самопроверки: карточка 4" in first
    assert "Баллы: 10 из 30." in first
    assert "Сильные стороны" in first
    assert "Зоны развития" in first
    assert "Трудовая функция 1" in first
    assert "card 4, labour function 1, skill 1, 000_f549413c4f15f9eb.txt lines 324-327" in first
    assert "Это ваша первая самопроверка" in first
    assert "уровней НРК" in first
    second = await _complete(chat, "Проверить снова", ["Могу научить других"] * 10)
    assert "По сравнению с предыдущей самопроверкой: 10 → 30." in second
    assert "Улучшилось: 10" in second
    assert "Зоны развития" not in second


async def test_self_check_in_kazakh(dispatcher: Dispatcher, bot: MockedBot) -> None:
    chat = await _kazakh_chat(dispatcher, bot, 7502)
    await chat.send("/university")
    assert "3-5 карточкаларды" in str(chat.last_screen().text)
    await chat.press("5.")
    item = str(chat.last_screen().text)
    assert "5-карточка · 10 тармақтың 1-і" in item
    assert "студенттік орталықтандырылған" in item  # the kk text itself
    await chat.press("Сенімдімін")
    # a stale button (item 0 again) shows the item actually due instead of rating twice
    await chat.press_data("un:rate:5:0:0")
    assert "10 тармақтың 2-і" in str(chat.last_screen().text)
    for _ in range(9):
        await chat.press("Әлі жоқ")
    result = str(chat.last_screen().text)
    assert "Өзін-өзі тексеру нәтижесі: 5-карточка" in result
    assert "Балл: 30 ішінен 2." in result
    assert "Дамыту қажет салалар" in result
    assert "санаттар сатысына" in result


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, auth_headers: dict[str, str]
) -> AsyncIterator[Client]:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    async with TestClient(TestServer(app, host="127.0.0.1"), headers=auth_headers) as client:
        yield client


async def test_api_cards_and_self_checks(client: Client, session_pool: SessionPool) -> None:
    cards = await (await client.get("/api/v1/university/cards")).json()
    assert [card["card"] for card in cards["cards"]] == [3, 4, 5]
    assert "cards 1-2" in cards["not_in_source"]
    item_ids = [item["id"] for item in cards["cards"][1]["items"]]
    assert len(item_ids) == 10
    await new_teacher(session_pool, 880)
    incomplete = await client.post(
        "/api/v1/university/self-checks",
        json={"telegram_id": 880, "card": 4, "ratings": {item_ids[0]: 1}},
    )
    assert incomplete.status == 422
    assert (await incomplete.json())["code"] == "items"
    off_scale = await client.post(
        "/api/v1/university/self-checks",
        json={"telegram_id": 880, "card": 4, "ratings": dict.fromkeys(item_ids, 7)},
    )
    assert off_scale.status == 422
    first = await client.post(
        "/api/v1/university/self-checks",
        json={"telegram_id": 880, "card": 4, "ratings": dict.fromkeys(item_ids, 1)},
    )
    body = await first.json()
    assert first.status == 201, body
    assert (body["score"], body["top"], body["previous_score"]) == (10, 30, None)
    assert body["to_develop"][0]["citation"].startswith("Order 616")
    second = await client.post(
        "/api/v1/university/self-checks",
        json={"telegram_id": 880, "card": 4, "ratings": dict.fromkeys(item_ids, 2)},
    )
    assert (await second.json())["previous_score"] == 10
    listed = await (await client.get("/api/v1/university/self-checks?telegram_id=880")).json()
    assert [item["score"] for item in listed["items"]] == [10, 20]
    assert listed["items"][1]["previous_score"] == 10
    anonymous = await client.get(
        "/api/v1/university/self-checks?telegram_id=880",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert anonymous.status == 401
