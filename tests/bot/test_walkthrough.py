"""Rough edges a new user met in the kk and ru walk-through (issue 16), through the real
dispatcher fed real updates; each test names the behaviour it pins down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.types import BotCommandScopeChat, Sticker, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from backend.db import SessionPool
from backend.directory import REGIONS
from backend.models import CourseRecord, RosterEntry
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.commands import commands_for, register_commands
from bot.factory import create_i18n
from bot.handlers.assessment.callbacks import PositionCallback
from bot.handlers.courses.add import title_question
from bot.handlers.courses.callbacks import CourseCallback, KindCallback, ProviderCallback
from bot.handlers.courses.handlers import date_question
from bot.handlers.news.callbacks import RegionPageCallback
from bot.handlers.staff import join as staff_join
from bot.handlers.staff.keyboards import InviteEntryCallback
from bot.handlers.start import help_text
from bot.handlers.steps import step_prompt
from bot.shared.callbacks import DeleteCallback
from bot.shared.screen import BUTTON_TEXT_LIMIT, short
from testing.chat import Chat, user_id_of
from testing.mocked_bot import MockedBot
from testing.updates import private_message_update
from tests.bot import staff_support as support
from tests.bot.broadcast_support import make_admin
from tests.bot.staff_support import FileBot
from tests.courses.helpers import add_course, stored_courses

LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}
# steps whose message may be any content; they judge a sticker themselves (refuse or take it)
TAKE_ANY_CONTENT = {
    "BroadcastStates:content",
    "BroadcastStates:second",
    "DutyStates:material",
    "StaffStates:upload",
}


def said(dispatcher: Dispatcher, locale: str, text: Callable[[], str]) -> str:
    """What ``text()`` says in ``locale`` with the dispatcher's own catalogs."""
    i18n: I18n = dispatcher["i18n"]
    with i18n.context(), i18n.use_locale(locale):
        return text()


@pytest.fixture
def bot() -> FileBot:
    return FileBot()


def in_locale(settings: Settings, locale: str, text: Callable[[], str]) -> str:
    i18n = create_i18n(settings)
    with i18n.context(), i18n.use_locale(locale):
        return text()


async def chat_in(dispatcher: Dispatcher, bot: MockedBot, user_id: int, language: str) -> Chat:
    """A person who opened the bot and chose ``language`` in it."""
    chat = Chat(dispatcher, bot, user_id=user_id, language=language)
    await chat.send("/start")
    await chat.press(LANGUAGE_BUTTONS[language])
    return chat


def menu_data(bot: MockedBot) -> list[str]:
    markup = bot.sent("SendMessage")[-1].reply_markup
    return [b.callback_data for row in markup.inline_keyboard for b in row]


# --- invitation links -------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_cut_or_malformed_invitation_link_says_open_it_whole(
    language: str,
    dispatcher: Dispatcher,
    bot: FileBot,
    session_pool: SessionPool,
    settings: Settings,
) -> None:
    org_id = await support.make_organisation(session_pool)
    token = await support.invitation_token(session_pool, org_id)
    chat = await chat_in(dispatcher, bot, 9101, language)
    invalid = in_locale(settings, language, lambda: staff_join.invitation_problem("unknown"))
    assert invalid != in_locale(settings, "en", lambda: staff_join.invitation_problem("unknown"))
    for payload in (token[:27], token[:31], token + "x", "abc", "a-b_c" * 3):
        before = len(bot.sent("SendMessage"))
        await chat.send(f"/start {payload}")
        reason, menu = bot.sent("SendMessage")[before:]
        assert reason.text == invalid, payload
        assert "m:assess" in [
            b.callback_data for row in menu.reply_markup.inline_keyboard for b in row
        ]
    assert await support.memberships(session_pool, org_id) == []


# --- /language mid-step, and content a step cannot take ---------------------------------------
def every_step() -> list[str]:
    from bot.handlers.assessment.states import AssessmentStates
    from bot.handlers.broadcasts.states import BroadcastStates
    from bot.handlers.channels.states import ChannelStates, DutyStates
    from bot.handlers.courses.states import CourseStates
    from bot.handlers.menu import MenuStates
    from bot.handlers.staff.states import StaffStates

    groups = (
        AssessmentStates,
        BroadcastStates,
        ChannelStates,
        DutyStates,
        CourseStates,
        MenuStates,
        StaffStates,
    )
    return [s.state for group in groups for s in group.__states__ if s.state is not None]


def sticker_update(chat: Chat) -> Update:
    sticker = Sticker(
        file_id="sticker-1",
        file_unique_id="usticker-1",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )
    return private_message_update(chat.user, sticker=sticker)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_language_change_while_adding_a_course_resumes_the_date_step(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    other = "ru" if language == "kk" else "kk"
    chat = await chat_in(dispatcher, bot, 9102, other)
    await chat.press_data("m:courses")
    await chat.press("➕")
    await chat.send("/language")
    await chat.press(LANGUAGE_BUTTONS[language])
    # the step goes on, in the new language, and no menu is left over it
    assert chat.last_text() == said(dispatcher, language, lambda: date_question().text)
    assert chat.last_text() != said(dispatcher, other, lambda: date_question().text)
    assert "m:assess" not in [data for _, data in chat.buttons()]
    await chat.send("20.04.2024")  # a date typed now is the date, not the title
    assert chat.last_text() == said(dispatcher, language, lambda: title_question().text)
    await chat.send("Цифровая грамотность")
    await chat.press("Өрлеу")
    await chat.press_data(KindCallback(k="short").pack())
    for _optional in range(4):  # topic, hours, certificate number, certificate file
        await chat.press_data(CourseCallback(a="skip").pack())
    [course] = await stored_courses(session_pool, await user_id_of(session_pool, chat))
    assert (course.completed_on, course.title) == (dt.date(2024, 4, 20), "Цифровая грамотность")


@pytest.mark.parametrize("step", every_step())
async def test_every_step_survives_a_language_change_and_answers_a_sticker_with_its_hint(
    step: str, dispatcher: Dispatcher, bot: FileBot
) -> None:
    chat = await chat_in(dispatcher, bot, 9103, "ru")
    context = dispatcher.fsm.get_context(bot, chat_id=chat.user.id, user_id=chat.user.id)
    await context.set_state(step)
    await chat.send("/language")
    await chat.press(LANGUAGE_BUTTONS["kk"])

    def prompt() -> str:
        screen = step_prompt(step)
        assert screen is not None
        return screen.text

    expected = said(dispatcher, "kk", prompt)
    assert expected != said(dispatcher, "ru", prompt)
    if not step.startswith("AssessmentStates"):  # the self-assessment redraws its own question
        assert await context.get_state() == step  # not left active under a menu
        assert chat.last_text() == expected
    before = len(bot.sent("SendMessage"))
    await dispatcher.feed_update(bot, sticker_update(chat))
    replies = [m.text for m in bot.sent("SendMessage")[before:]]
    generic = said(
        dispatcher, "kk", lambda: _("I did not understand that. Use /start for the menu or /help.")
    )
    assert replies, step
    assert generic not in replies, step
    if step not in TAKE_ANY_CONTENT:
        assert replies[-1] == expected
        assert await context.get_state() == step  # still waiting


# --- command lists ----------------------------------------------------------------------------
def chat_commands(bot: MockedBot, telegram_id: int) -> list[Any]:
    """Every setMyCommands call scoped to this person's chat, oldest first."""
    return [
        call
        for call in bot.sent("SetMyCommands")
        if isinstance(call.scope, BotCommandScopeChat) and call.scope.chat_id == telegram_id
    ]


async def test_everyones_command_list_has_no_section_commands(
    bot: MockedBot, settings: Settings
) -> None:
    await register_commands(bot, create_i18n(settings))
    for call in bot.sent("SetMyCommands"):
        names = [c.command for c in call.commands]
        assert {"broadcast", "channels", "duty"}.isdisjoint(names)
        assert {"start", "menu", "courses", "news", "language", "help"} <= set(names)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_choosing_the_language_sets_the_chats_commands_in_it(
    language: str, dispatcher: Dispatcher, bot: FileBot, settings: Settings
) -> None:
    chat = await chat_in(dispatcher, bot, 9104, "ru" if language == "kk" else "kk")
    await chat.send("/language")
    await chat.press(LANGUAGE_BUTTONS[language])
    latest = chat_commands(bot, 9104)[-1]
    described = {c.command: c.description for c in latest.commands}
    expected = commands_for(create_i18n(settings), language)
    assert described == {c.command: c.description for c in expected}
    assert described["language"] == {"kk": "Тілді өзгерту", "ru": "Сменить язык"}[language]
    assert "broadcast" not in described  # a teacher: no curators' commands


async def test_curators_and_staff_get_their_section_commands_in_their_chat_only(
    dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    admin = await chat_in(dispatcher, bot, 9105, "ru")
    await make_admin(session_pool, admin)
    teacher = await chat_in(dispatcher, bot, 9106, "kk")
    await admin.send("/curator grant 9106 region almaty")
    curator_list = chat_commands(bot, 9106)[-1]
    names = [c.command for c in curator_list.commands]
    assert {"broadcast", "channels"} <= set(names)
    assert "duty" not in names
    assert next(c for c in curator_list.commands if c.command == "language").description == (
        "Тілді өзгерту"  # the curator's own language, not the admin's
    )
    await admin.send("/curator revoke 9106")
    assert "broadcast" not in [c.command for c in chat_commands(bot, 9106)[-1].commands]
    org_id = await support.make_organisation(session_pool)
    token = await support.invitation_token(session_pool, org_id, "hr")
    await teacher.send(f"/start {token}")
    assert "duty" in [c.command for c in chat_commands(bot, 9106)[-1].commands]
    await admin.send("/start")  # a role granted outside the bot (CLI) is known at /start
    assert "broadcast" in [c.command for c in chat_commands(bot, 9105)[-1].commands]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_help_lists_the_menu_and_section_commands(
    language: str, dispatcher: Dispatcher, bot: FileBot
) -> None:
    chat = await chat_in(dispatcher, bot, 9107, language)
    await chat.send("/help")
    text = chat.last_text()
    for command in ("/menu", "/courses", "/news", "/language", "/cancel", "/help"):
        assert command in text
    assert "/broadcast" not in text  # a teacher's help names no curators' commands
    assert text == said(dispatcher, language, help_text)
    assert text != said(dispatcher, "en", help_text)


# --- deleting one's data ----------------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_delete_my_data_names_and_deletes_courses_membership_and_the_roster_link(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 9108, language)
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10))
    org_id = await support.make_organisation(session_pool)
    await chat.send(f"/start {await support.invitation_token(session_pool, org_id, 'hr')}")
    async with session_pool() as session:
        entry = RosterEntry(
            organisation_id=org_id, full_name="Сапарова Айгүл", name_key="сапарова айгүл"
        )
        entry.user_id = user_id
        session.add(entry)
        await session.commit()
    await chat.press_data("m:delete")
    confirmation = chat.last_screen().text
    words = {
        "kk": ("курс", "сертификат", "мүшелі", "тізім", "жауап", "баптау"),
        "ru": ("курсы", "сертификат", "членство", "списке сотрудников", "ответы", "настройки"),
    }[language]
    for word in words:
        assert word in confirmation, word
    await chat.press_data(DeleteCallback(confirm=True).pack())
    assert not await stored_courses(session_pool, user_id)
    assert await support.memberships(session_pool, org_id) == []
    [kept] = await support.roster(session_pool, org_id)
    assert kept.user_id is None  # the organisation keeps its line, no longer linked


# --- names are never declined -----------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_personal_invitation_names_the_person_after_a_label(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 9109)
    if language == "kk":
        await chat.send("/language")
        await chat.press(LANGUAGE_BUTTONS["kk"])
    roster = "ФИО;Должность;Telegram;Дата последнего курса;Категория\n"
    roster += "Петрова Ольга Ивановна;2.1;;01.02.2024;pedagog\n"
    await support.upload_roster(chat, bot, org_id, roster.encode())
    [entry] = await support.roster(session_pool, org_id)
    await chat.press_data(InviteEntryCallback(o=org_id, e=entry.id or 0).pack())
    label = {"kk": "Қызметкер", "ru": "Сотрудник"}[language]
    assert f"{label}: Петрова Ольга Ивановна\n" in chat.last_text()
    assert "для Петрова" not in chat.last_text()


# --- news: the region -------------------------------------------------------------------------
async def region_list(chat: Chat) -> list[str]:
    """Every region button's label, page after page."""
    labels: list[str] = []
    for page in range(3):
        await chat.press_data(RegionPageCallback(page=page).pack())
        labels += [text for text, data in chat.buttons() if data.startswith("nr:")]
    return [label for label in labels if label not in ("Өңірсіз", "Без региона")]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_region_not_chosen_agrees_and_the_list_is_in_the_languages_order(
    language: str, dispatcher: Dispatcher, bot: FileBot
) -> None:
    chat = await chat_in(dispatcher, bot, 9110, language)
    await chat.press_data("m:news")
    region_button = next(text for text, data in chat.buttons() if data.startswith("nrp:"))
    assert region_button == {"kk": "📍 Өңір: таңдалмаған", "ru": "📍 Регион: не указан"}[language]
    shown = await region_list(chat)
    assert len(shown) == len(REGIONS)
    if language == "ru":
        oblasts, cities = shown[:17], shown[17:]
        assert oblasts == sorted(oblasts)  # no Ё among them: code points are the collation
        assert oblasts[:2] == ["Абайская область", "Акмолинская область"]
        assert "Восточно-Казахстанская область" in oblasts[5]
        assert cities == ["город Алматы", "город Астана", "город Шымкент"]
    else:
        assert shown == [entry.kk for entry in REGIONS]  # the Kazakh alphabet's own order
        assert shown.index("Қарағанды облысы") > shown.index("Жетісу облысы")


# --- the self-assessment ----------------------------------------------------------------------
async def school_positions(chat: Chat, ruleset: Ruleset, language: str) -> dict[str, str]:
    """Open the self-assessment, choose schools, and walk every page of positions: the label
    of each position's button; each page's labels distinct, cut names given whole in the text."""
    await chat.press_data("m:assess")
    await chat.press(ruleset.meta.org_kinds["school"].get(language)[:20])
    labels: dict[str, str] = {}
    while True:
        screen = chat.last_screen()
        page = {
            PositionCallback.unpack(data).id: text
            for text, data in chat.buttons()
            if data.startswith("ps:")
        }
        assert len(set(page.values())) == len(page)  # no two buttons read the same
        for pid, label in page.items():
            name = ruleset.positions[pid].name.get(language)
            assert len(label) <= BUTTON_TEXT_LIMIT
            if label != name:
                assert escape(name) in screen.text  # the whole name is in the message
        labels |= page
        if "▶" not in [text for text, _data in chat.buttons()]:
            return labels
        await chat.press("▶")


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_cut_position_labels_stay_distinct_and_the_header_is_whole(
    language: str, dispatcher: Dispatcher, bot: FileBot, ruleset: Ruleset
) -> None:
    chat = await chat_in(dispatcher, bot, 9111, language)
    labels = await school_positions(chat, ruleset, language)
    assert labels["3.5"] != labels["3.6"]
    name = ruleset.positions["3.6"].name.get(language)
    assert labels["3.6"] != short(name)  # the plain cut would have read like 3.5
    await chat.press_data(PositionCallback(t=dialog_token(chat), id="3.6").pack())
    assert chat.last_screen().text.startswith(f"<i>{escape(name)}</i>")  # not cut


async def press_exact(chat: Chat, label: str) -> None:
    [data] = [data for text, data in chat.buttons() if text == label]
    await chat.press_data(data)


def dialog_token(chat: Chat) -> str:
    return next(
        PositionCallback.unpack(data).t for _text, data in chat.buttons() if data.startswith("ps:")
    )


async def to_checklist(chat: Chat, ruleset: Ruleset, language: str) -> None:
    """Subject teacher (3.7), higher pedagogical education, 5 years: the first checklist."""
    await school_positions(chat, ruleset, language)
    await chat.press_data(PositionCallback(t=dialog_token(chat), id="3.7").pack())
    await press_exact(chat, {"kk": "Жоғары", "ru": "Высшее"}[language])
    await chat.press({"kk": "Иә", "ru": "Да"}[language])
    question = chat.last_screen().text
    years = {"kk": "<b>Педагогикалық жұмыс өтіліңіз", "ru": "<b>Сколько лет"}[language]
    assert years in question  # a question starts with a capital letter
    await chat.send("5")


def ticks(chat: Chat) -> list[str]:
    return [text[0] for text, data in chat.buttons() if text[:1] in "☐☑" and "✔" not in text]


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_tick_all_and_clear_all_only_tick_and_done_submits(
    language: str, dispatcher: Dispatcher, bot: FileBot, ruleset: Ruleset
) -> None:
    chat = await chat_in(dispatcher, bot, 9112, language)
    await to_checklist(chat, ruleset, language)
    checklist = chat.last_screen().text
    count = len(ticks(chat)) - 2  # the numbered boxes; "Tick all" and "Clear all" too
    await chat.press("☑")  # Tick all
    assert ticks(chat)[:count] == ["☑"] * count
    assert chat.last_screen().text.split("\n")[3] == checklist.split("\n")[3]  # same question
    notice = bot.sent("AnswerCallbackQuery")[-1].text
    assert (
        notice
        == {
            "kk": "Барлық тармақ белгіленді: тексеріп, «Дайын» түймесін басыңыз.",
            "ru": "Отмечены все пункты: проверьте их и нажмите «Готово».",
        }[language]
    )
    await chat.press("☐")  # Clear all
    assert ticks(chat)[:count] == ["☐"] * count
    assert "«" in (bot.sent("AnswerCallbackQuery")[-1].text or "")  # says Done submits "none"
    await chat.press("☑")
    await chat.press("✔")  # Done: now it is submitted
    assert chat.last_screen().text.split("\n")[3] != checklist.split("\n")[3]
    # the review reads "label: answer", and editing one answer shows no step count
    await chat.press("📋")
    review = chat.last_screen().text
    education = {"kk": "1. Біліміңіз: <b>Жоғары</b>", "ru": "1. Образование: <b>Высшее</b>"}
    assert education[language] in review
    assert "?:" not in review
    await chat.press("✎ 3")
    editing = chat.last_screen().text
    assert {"kk": "3-жауапты өзгерту", "ru": "Изменение ответа 3"}[language] in editing
    assert {"kk": "Қадам", "ru": "Шаг"}[language] not in editing


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_an_unknown_category_names_the_answer_it_waits_for(
    language: str, dispatcher: Dispatcher, bot: FileBot, ruleset: Ruleset
) -> None:
    chat = await chat_in(dispatcher, bot, 9113, language)
    await school_positions(chat, ruleset, language)
    await chat.press_data(PositionCallback(t=dialog_token(chat), id="3.7").pack())
    await press_exact(chat, {"kk": "Жоғары", "ru": "Высшее"}[language])
    await chat.press({"kk": "Иә", "ru": "Да"}[language])
    dont_know = {"kk": "Білмеймін", "ru": "Не знаю"}[language]
    for _step in range(8):  # "I don't know" to everything until the result
        if dont_know not in [text for text, _data in chat.buttons()]:
            break
        await chat.press(dont_know)
    result = chat.last_screen().text
    unknown = [line for line in result.split("\n") if line.startswith("? ")]
    assert unknown
    years = {"kk": "«Педагогикалық жұмыс өтілі»", "ru": "«Стаж педагогической работы»"}
    assert all(years[language] in line for line in unknown), unknown


# --- courses: the attached certificate --------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_an_attached_certificate_can_be_viewed(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 9114, language)
    course_id = await add_course(
        session_pool, await user_id_of(session_pool, chat), dt.date(2024, 1, 10), "Цифрлық"
    )
    await chat.press_data(CourseCallback(a="show", id=course_id).pack())
    assert CourseCallback(a="cert", id=course_id).pack() not in [d for _t, d in chat.buttons()]
    async with session_pool() as session:
        course = await session.get(CourseRecord, course_id)
        assert course is not None
        course.certificate_file_id = "cert-file-9114"
        await session.commit()
    await chat.press_data(CourseCallback(a="show", id=course_id).pack())
    label = {"kk": "👁 Сертификатты көрсету", "ru": "👁 Показать сертификат"}[language]
    await press_exact(chat, label)
    [sent] = bot.sent("SendDocument")
    assert (sent.document, sent.caption) == ("cert-file-9114", "Цифрлық")


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_other_organisation_as_provider_asks_its_name(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 9115, language)
    await chat.press_data("m:courses")
    await chat.press("➕")
    await chat.send("20.04.2024")
    await chat.send("Инклюзивті білім")
    await chat.press_data(ProviderCallback(p="other").pack())
    asked = {
        "kk": "Курсты өткізген ұйымның атауын жазыңыз.",
        "ru": "Напишите название организации, которая провела курс.",
    }[language]
    assert chat.last_text() == asked
    await chat.send("   ")  # nothing: asked again
    assert chat.last_text() == asked
    await chat.send("«Педагогикалық шеберлік орталығы»")
    await chat.press_data(KindCallback(k="other").pack())
    for _optional in range(4):  # topic, hours, certificate number, certificate file
        await chat.press_data(CourseCallback(a="skip").pack())
    [course] = await stored_courses(session_pool, await user_id_of(session_pool, chat))
    assert (course.provider, course.provider_name) == (
        "other",
        "«Педагогикалық шеберлік орталығы»",
    )
    assert "(«Педагогикалық шеберлік орталығы»)" in chat.last_screen().text  # My courses


# --- the roster: which required columns are missing --------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_roster_without_required_columns_names_them(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    org_id, chat = await support.organisation_with_head(dispatcher, bot, session_pool, 9116)
    if language == "kk":
        await chat.send("/language")
        await chat.press(LANGUAGE_BUTTONS["kk"])
    await support.upload_roster(chat, bot, org_id, "ФИО;Должность;Telegram\nА Б;2.1;\n".encode())
    answer = chat.texts()[-1]
    missing = {
        "kk": ("жоқ: соңғы курс күні, санат.", "қалауыңыз бойынша"),
        "ru": ("Нет обязательных столбцов: дата последнего курса, категория.", "по желанию"),
    }[language]
    for part in missing:
        assert part in answer
    assert await support.roster(session_pool, org_id) == []
