"""The local Bot API server, driven by a real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web

from backend.settings import BotSettings
from bot.factory import create_bot
from testing.telegram import SECRET_HEADER, Button, ButtonNotFoundError, LocalBotAPI, UserDriver

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data)] for text, data in buttons
        ]
    )


@contextlib.asynccontextmanager
async def connected(api: LocalBotAPI) -> AsyncIterator[Bot]:
    """A Bot connected to ``api`` the way Sanat connects to a local Bot API server."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url, is_local=True))
    bot = Bot(api.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield bot
    finally:
        await bot.session.close()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """An aiohttp app on a free port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    # Autouse fixtures are set up first and torn down last: after the server and the bot.
    yield
    leftover = asyncio.all_tasks() - {asyncio.current_task()}
    assert not leftover, f"tasks left running: {leftover}"


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotAPI) -> AsyncIterator[Bot]:
    async with connected(api) as connected_bot:
        yield connected_bot


@pytest.fixture
def user(api: LocalBotAPI) -> UserDriver:
    return api.user(user_id=1001, first_name="Айгүл", language_code="kk")


async def test_get_me_answers_the_bot_identity(api: LocalBotAPI, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (bot.id, "sanat_test_bot", True)
    assert api.calls[-1].method == "getMe"
    assert len(api.token.partition(":")[2]) == 35


async def test_sanat_bot_factory_connects_with_its_settings(api: LocalBotAPI) -> None:
    bot = create_bot(BotSettings(token=api.token, api_server=api.base_url))
    try:
        assert (await bot.get_me()).username == "sanat_test_bot"
    finally:
        await bot.session.close()


async def test_sent_message_is_what_the_user_sees(bot: Bot, user: UserDriver) -> None:
    sent = await bot.send_message(
        user.id, "<b>Сәлем</b>, Айгүл!", reply_markup=keyboard(("Иә", "yes"), ("Жоқ", "no"))
    )

    [seen] = user.messages()
    assert seen.message_id == sent.message_id == 1
    assert seen.text == sent.text == "Сәлем, Айгүл!"
    assert seen.raw["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert seen.buttons == [[Button("Иә", "yes")], [Button("Жоқ", "no")]]
    assert user.last() == seen


async def test_unparsable_html_is_refused(bot: Bot, user: UserDriver) -> None:
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div"'):
        await bot.send_message(user.id, "<div>x</div>")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "<b></b>")
    assert user.messages() == []


async def test_edit_shows_and_an_identical_edit_is_refused(bot: Bot, user: UserDriver) -> None:
    sent = await bot.send_message(user.id, "Бірінші", reply_markup=keyboard(("A", "a")))

    edited = await bot.edit_message_text(
        "Екінші", chat_id=user.id, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )

    assert isinstance(edited, Message)
    [seen] = user.messages()
    assert (seen.text, seen.buttons, seen.edited) == ("Екінші", [[Button("B", "b")]], True)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Екінші",
            chat_id=user.id,
            message_id=sent.message_id,
            reply_markup=keyboard(("B", "b")),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=99)
    await bot.edit_message_reply_markup(chat_id=user.id, message_id=sent.message_id)
    assert user.last().buttons == []


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, user: UserDriver) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "x", reply_markup=keyboard(("A", "ә" * 33)))  # 66 bytes

    await bot.send_message(user.id, "x", reply_markup=keyboard(("A", "ә" * 32)))  # 64 bytes
    assert len(user.messages()) == 1


async def test_injected_429_raises_retry_after_once(api: LocalBotAPI, bot: Bot) -> None:
    user = api.user(1001)
    fault = api.inject(error=429, method="sendMessage", chat_id=user.id, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(user.id, "бірінші")
    await bot.send_message(user.id, "екінші")

    assert refused.value.retry_after == 3
    assert fault.remaining == 0
    assert [(c.ok, c.error_code) for c in api.calls_to("sendMessage")] == [
        (False, 429),
        (True, None),
    ]
    assert api.sent_count(user.id) == 1
    assert [m.text for m in user.messages()] == ["екінші"]


async def test_injected_server_errors_and_forbidden(api: LocalBotAPI, bot: Bot) -> None:
    user = api.user(1001)
    api.inject(error=502, method="getMe")
    api.inject(error=403, chat_id=user.id)

    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.get_me()
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(user.id, "x")
    await bot.get_me()


async def test_blocked_user_answers_403_until_unblocked(api: LocalBotAPI, bot: Bot) -> None:
    user = api.user(1001)
    api.block(user.id)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user.id, "x")
    api.unblock(user.id)
    await bot.send_message(user.id, "y")

    assert api.sent_count() == 1


async def test_enforced_limits_refuse_a_second_quick_message_to_one_chat() -> None:
    async with LocalBotAPI(enforce_limits=True) as api, connected(api) as bot:
        aigul, bolat = api.user(1001), api.user(1002)
        await bot.send_message(aigul.id, "1")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(aigul.id, "2")
        await bot.send_message(bolat.id, "another chat is fine")

        assert refused.value.retry_after == 1
        assert (api.sent_count(aigul.id), api.sent_count()) == (1, 2)


async def test_enforced_limits_count_group_messages_per_minute() -> None:
    now = [0.0]  # a fake clock: a minute of sends without sleeping
    async with (
        LocalBotAPI(enforce_limits=True, per_group_per_minute=20, clock=lambda: now[0]) as api,
        connected(api) as bot,
    ):
        api.add_channel(-1001234567890, "Sanat news", username="sanat_news")
        for _ in range(20):
            await bot.send_message("@sanat_news", "post")
            now[0] += 1.5  # past the one-per-second limit
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message("@sanat_news", "21st")

        assert refused.value.retry_after == 30  # the first post leaves the window at t=60
        assert api.sent_count(-1001234567890) == 20


async def test_long_poll_returns_when_the_user_writes_and_offset_confirms(
    api: LocalBotAPI, bot: Bot, user: UserDriver
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await api.wait_until_polling()
    await user.send("/start hello")
    [update] = await poll

    assert time.monotonic() - started < 1
    assert update.message is not None
    assert update.message.text == "/start hello"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "kk"
    assert [(e.type, e.offset, e.length) for e in update.message.entities or []] == [
        ("bot_command", 0, 6)
    ]
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]  # unconfirmed
    assert await bot.get_updates(offset=update.update_id + 1) == []


async def test_dispatcher_polling_answers_the_user(bot: Bot, user: UserDriver) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Қош келдіңіз!")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    try:
        await user.send("/start")
        assert (await user.wait_for()).text == "Қош келдіңіз!"
        await user.send("hi")
        assert (await user.wait_for()).text == "hi"
    finally:
        await dp.stop_polling()
        await polling


async def test_press_and_answer_callback_query(bot: Bot, user: UserDriver) -> None:
    await bot.send_message(user.id, "Сұрақ?", reply_markup=keyboard(("Иә", "answer:yes")))

    query = await user.press("Иә")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "answer:yes"
    assert update.callback_query.id == query["id"]
    await bot.answer_callback_query(query["id"], text="Қабылданды", show_alert=True)

    [answer] = user.callback_answers
    assert (answer.text, answer.show_alert) == ("Қабылданды", True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(ButtonNotFoundError, match="no button 'Жоқ'"):
        await user.press("Жоқ")


async def test_wait_for_sees_edits_and_explains_a_timeout(bot: Bot, user: UserDriver) -> None:
    await user.send("hi")
    sent = await bot.send_message(user.id, "1")
    await bot.edit_message_text("2", chat_id=user.id, message_id=sent.message_id)

    assert (await user.wait_for()).text == "1"
    assert (await user.wait_for()).text == "2"
    with pytest.raises(TimeoutError, match="nothing new for user 1001"):
        await user.wait_for(timeout=0.05)


async def test_webhook_posts_updates_with_the_secret_header(bot: Bot, user: UserDriver) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, object]]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get(SECRET_HEADER), await request.json()))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serving(app) as base:
        await bot.set_webhook(f"{base}/hook", secret_token="s3cr3t")
        await user.send("hi")
        secret, update = await asyncio.wait_for(received.get(), 2)

        assert secret == "s3cr3t"
        assert update["message"]["text"] == "hi"  # type: ignore[index]
        assert (await bot.get_webhook_info()).url == f"{base}/hook"
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
    await user.send("polled again")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["polled again"]


async def test_webhook_reply_method_is_run(api: LocalBotAPI, bot: Bot, user: UserDriver) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")  # answered in the webhook's response

    app = web.Application()
    handler = SimpleRequestHandler(dp, bot, secret_token="s3cr3t", handle_in_background=False)
    handler.register(app, path="/hook")
    async with serving(app) as base:
        await bot.set_webhook(f"{base}/hook", secret_token="s3cr3t")
        await user.send("hi")
        assert (await user.wait_for()).text == "echo: hi"
    assert api.webhook.last_error_message is None


async def test_concurrent_webhook_keeps_each_chats_order_and_overlaps_chats() -> None:
    """With ``webhook_connections`` > 1, chats are posted in parallel but a chat's next update
    waits until the webhook has taken the one before, as Telegram delivers them."""
    gate, all_seen = asyncio.Event(), asyncio.Event()
    seen: list[tuple[int, str]] = []
    in_flight = most = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        update = await request.json()
        in_flight += 1
        most = max(most, in_flight)
        seen.append((update["message"]["chat"]["id"], update["message"]["text"]))
        if len(seen) == 2:
            gate.set()
        if len(seen) == 3:
            all_seen.set()
        await asyncio.wait_for(gate.wait(), 2)  # the first two are held until both arrived
        in_flight -= 1
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with LocalBotAPI(webhook_connections=8) as api, connected(api) as bot:
        first, second = api.user(1001), api.user(1002)
        async with serving(app) as base:
            await bot.set_webhook(f"{base}/hook")
            await first.send("a1")
            await first.send("a2")
            await second.send("b1")
            await asyncio.wait_for(all_seen.wait(), 3)
    assert most == 2  # a1 and b1 together; a2 only after a1 was answered
    assert [text for chat, text in seen if chat == 1001] == ["a1", "a2"]
    assert seen[:2] in ([(1001, "a1"), (1002, "b1")], [(1002, "b1"), (1001, "a1")])


async def test_document_upload_then_get_file_and_download(
    api: LocalBotAPI, bot: Bot, user: UserDriver
) -> None:
    data = "аты;санаты\nАйгүл;педагог-зерттеуші\n".encode()

    sent = await bot.send_document(
        user.id, BufferedInputFile(data, "report.csv"), caption="<i>Есеп</i>"
    )
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    from_disk = io.BytesIO()
    await bot.download_file(file.file_path, from_disk)  # local mode: aiogram reads the disk
    url = bot.session.api.file_url(bot.token, file.file_path)
    async with ClientSession() as http, http.get(url) as response:
        over_http = await response.read()

    assert from_disk.getvalue() == over_http == data
    assert (sent.document.file_name, sent.caption) == ("report.csv", "Есеп")
    stored = user.last().file
    assert stored is not None
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert api.file(sent.document.file_id).file_name == "report.csv"


async def test_photo_needs_an_image_and_reuses_a_file_id(bot: Bot, user: UserDriver) -> None:
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user.id, BufferedInputFile(b"not an image", "x.png"))
    first = await bot.send_photo(user.id, BufferedInputFile(PNG_1X1, "dot.png"))
    assert first.photo is not None
    again = await bot.send_photo(user.id, first.photo[-1].file_id)

    assert again.photo is not None
    assert (again.photo[-1].width, again.photo[-1].height) == (1, 1)
    assert again.photo[-1].file_id == first.photo[-1].file_id


async def test_user_uploads_are_downloadable(bot: Bot, user: UserDriver) -> None:
    message = await user.send_document("cert.pdf", b"%PDF-1.7", mime_type="application/pdf")

    buffer = io.BytesIO()
    await bot.download(message["document"]["file_id"], destination=buffer)
    assert buffer.getvalue() == b"%PDF-1.7"


async def test_channel_copy_forward_and_admin_rights(api: LocalBotAPI, bot: Bot) -> None:
    channel_id = -1001234567890
    api.add_channel(channel_id, "Sanat news", username="sanat_news")
    user = api.user(1001)
    written = await user.send("Жаңалық")

    member = await bot.get_chat_member("@sanat_news", bot.id)
    copied = await bot.copy_message(channel_id, user.id, written["message_id"])
    forwarded = await bot.forward_message(channel_id, user.id, written["message_id"])
    forwarded_by_user = await user.forward_from_channel(channel_id, copied.message_id)

    assert isinstance(member, ChatMemberAdministrator)
    assert [m.text for m in api.messages(channel_id)] == ["Жаңалық", "Жаңалық"]
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "user"
    assert forwarded_by_user["forward_origin"]["chat"]["id"] == channel_id
    assert (await bot.get_chat(channel_id)).title == "Sanat news"
    assert api.sent_count(channel_id) == 2


async def test_commands_are_kept_per_scope_and_language(api: LocalBotAPI, bot: Bot) -> None:
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand(command="start", description="Бастау")], private, "kk")
    await bot.set_my_commands([BotCommand(command="help", description="Помощь")])

    kk = await bot.get_my_commands(scope=private, language_code="kk")
    assert [c.command for c in kk] == ["start"]
    assert [c["command"] for c in api.commands()] == ["help"]
    assert await bot.get_my_commands(scope=private) == []
    await bot.delete_my_commands(private, "kk")
    assert await bot.get_my_commands(scope=private, language_code="kk") == []


async def test_unknown_method_and_wrong_token(api: LocalBotAPI) -> None:
    async with ClientSession() as http:
        async with http.post(f"{api.base_url}/bot{api.token}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{api.base_url}/bot1:AAwrong/getMe") as response:
            assert response.status == 401
