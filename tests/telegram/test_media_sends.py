"""The local server's media sends as a broadcast uses them: sendPhoto and sendDocument by
file_id and by upload, copyMessage of a channel post, and injected 429 and 403 on each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile

from testing.telegram import LocalBotAPI

CHANNEL = -1009876543210
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (32).to_bytes(4, "big") * 2 + b"rest"


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        server.user(4001)
        server.add_channel(CHANNEL, "ZHASTALAP")
        yield server


@pytest.fixture
async def bot(api: LocalBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url, is_local=True))
    bot = Bot(api.token, session=session)
    yield bot
    await bot.session.close()


async def test_photo_and_document_by_file_id_and_by_upload(api: LocalBotAPI, bot: Bot) -> None:
    photo = api.add_file(PNG, photo=True)
    document = api.add_file(b"plan", file_name="plan.pdf", mime_type="application/pdf")

    by_id = await bot.send_photo(4001, photo.file_id, caption="Сурет")
    assert by_id.photo is not None
    assert by_id.photo[-1].file_id == photo.file_id
    assert by_id.caption == "Сурет"
    doc = await bot.send_document(4001, document.file_id)
    assert doc.document is not None
    assert doc.document.file_name == "plan.pdf"
    uploaded = await bot.send_document(
        4001, BufferedInputFile(b"a;b\r\n", filename="report.csv"), caption="CSV"
    )
    assert uploaded.document is not None
    assert api.file(uploaded.document.file_id).data == b"a;b\r\n"
    assert uploaded.document.file_name == "report.csv"
    assert api.sent_count(4001) == 3


async def test_copy_message_relays_a_channel_post_with_a_keyboard(
    api: LocalBotAPI, bot: Bot
) -> None:
    post = api.channel_post(CHANNEL, "Жаңалық")
    markup = {"inline_keyboard": [[{"text": "🔕", "callback_data": "unsub:news"}]]}
    copied = await bot.copy_message(4001, CHANNEL, post, reply_markup=markup)  # type: ignore[arg-type]
    [message] = api.messages(4001)
    assert message.message_id == copied.message_id
    assert message.text == "Жаңалық"
    assert message.buttons[0][0].data == "unsub:news"
    assert api.pending_updates[-1]["channel_post"]["message_id"] == post


@pytest.mark.parametrize("method", ["sendPhoto", "sendDocument", "copyMessage"])
async def test_injected_429_and_403_reach_every_send_method(
    api: LocalBotAPI, bot: Bot, method: str
) -> None:
    photo = api.add_file(PNG, photo=True)
    post = api.channel_post(CHANNEL, "Жаңалық")

    async def call() -> object:
        if method == "sendPhoto":
            return await bot.send_photo(4001, photo.file_id)
        if method == "sendDocument":
            return await bot.send_document(4001, photo.file_id)
        return await bot.copy_message(4001, CHANNEL, post)

    api.inject(429, method=method, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await call()
    assert flood.value.retry_after == 3
    api.block(4001)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await call()
    api.unblock(4001)
    await call()
    assert api.sent_count(4001) == 1
    assert [c.error_code for c in api.calls_to(method)] == [429, 403, None]
