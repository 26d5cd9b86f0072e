"""The main menu, /start mid-dialog, deleting one's data, and items still to come."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from backend.models import UserRead
from backend.rules import assessments
from bot.commands import set_chat_commands
from bot.context import BotContext
from bot.handlers.assessment import dialog as dialogs
from bot.handlers.assessment.callbacks import NavCallback
from bot.handlers.assessment.handlers import start_assessment
from bot.handlers.assessment.states import AssessmentStates
from bot.handlers.broadcasts import section as broadcast
from bot.handlers.channels import handlers as channels
from bot.handlers.courses.handlers import open_courses
from bot.handlers.news import handlers as news
from bot.handlers.staff import handlers as staff
from bot.handlers.start import LANGUAGE_PROMPT, help_text
from bot.shared.callbacks import DeleteCallback, MenuCallback
from bot.shared.keyboards import KeyboardBuilder
from bot.shared.menu import language_keyboard, menu_screen
from bot.shared.screen import Screen, show

COURSES = ("courses", "reminders")


class MenuStates(StatesGroup):
    """Stored by name: a stable API."""

    confirm_delete = State()


async def cmd_start(message: Message, state: FSMContext, ctx: BotContext) -> None:
    user = ctx.user
    if user.language is None:
        await message.answer(LANGUAGE_PROMPT, reply_markup=language_keyboard())
        return
    await set_chat_commands(ctx.bot, ctx.i18n, user)  # roles granted elsewhere (CLI, API) too
    dialog = await dialogs.load(state)
    current = await state.get_state()
    in_dialog = current in {s.state for s in AssessmentStates.__states__}
    if dialog is not None and in_dialog:
        builder = KeyboardBuilder()
        builder.button(
            text=_("▶ Continue"), callback_data=NavCallback(t=dialog.token, a="continue")
        )
        builder.button(
            text=_("🔁 Start over"), callback_data=NavCallback(t=dialog.token, a="restart")
        )
        builder.adjust(2)
        await message.answer(
            _("You have an unfinished self-assessment. Continue, or start over?"),
            reply_markup=builder.as_markup(),
        )
        return
    screen = menu_screen(user.roles)
    await message.answer(screen.text, reply_markup=screen.markup)


async def cmd_menu(message: Message, user: UserRead) -> None:
    screen = menu_screen(user.roles)
    await message.answer(screen.text, reply_markup=screen.markup)


# --- the menu's buttons: one handler per MenuCallback item ------------------------------------
async def open_assessment(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await start_assessment(query, state, ctx=ctx)


async def open_my_courses(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await open_courses(query, state, new=True, ctx=ctx)


async def open_news(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await news.open_section(query, state, new=True, ctx=ctx)


async def open_organisation(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await staff.open_section(query, state, new=True, ctx=ctx)


async def open_broadcasts(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await broadcast.open_section(query, state, new=True, ctx=ctx)


async def open_channels(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await channels.open_section(query, state, new=True, ctx=ctx)


async def open_language(query: CallbackQuery) -> None:
    await show(query, Screen(LANGUAGE_PROMPT, language_keyboard()), new=True)


async def open_help(query: CallbackQuery, user: UserRead) -> None:
    await show(query, Screen(help_text(user.roles)), new=True)


async def ask_delete(query: CallbackQuery, state: FSMContext) -> None:
    builder = KeyboardBuilder()
    builder.button(text=_("Yes, delete everything"), callback_data=DeleteCallback(confirm=True))
    builder.button(text=_("No, keep it"), callback_data=DeleteCallback(confirm=False))
    builder.adjust(1)
    await state.set_state(MenuStates.confirm_delete)
    # What ``assessments.delete_user_data`` removes: the user row, and every table whose foreign
    # key to it cascades; roster entries only lose their link (ON DELETE SET NULL).
    text = _(
        "Delete everything Sanat keeps about you? This deletes:\n"
        "• your saved answers and assessment results;\n"
        "• your settings: language, region, news topics and reminders;\n"
        "• your refresher courses with their certificates;\n"
        "• your roles and your membership of organisations;\n"
        "• the link between you and your line on an organisation's roster (the line stays "
        "with the organisation).\n\n"
        "This cannot be undone."
    )
    await show(query, Screen(text, builder.as_markup()), new=True)


async def open_home(query: CallbackQuery, user: UserRead) -> None:
    """ "home", and any item from an older version of the bot: the menu itself."""
    await show(query, menu_screen(user.roles), new=True)


async def confirm_delete(
    query: CallbackQuery,
    callback_data: DeleteCallback,
    state: FSMContext,
    ctx: BotContext,
) -> None:
    if not callback_data.confirm or await state.get_state() != MenuStates.confirm_delete.state:
        await state.set_state(None)
        await show(query, Screen(_("Nothing was deleted.")))
        return
    await assessments.delete_user_data(session=ctx.session, user_id=ctx.user.id)
    await state.clear()
    await show(
        query, Screen(_("Done: Sanat no longer keeps any of your data. /start begins anew."))
    )


async def cmd_courses(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await open_courses(message, state, new=True, ctx=ctx)


async def cmd_news(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await news.open_section(message, state, new=True, ctx=ctx)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_courses, Command("courses"))
    router.message.register(cmd_news, Command("news"))
    items = (
        (F.item == "assess", open_assessment),
        (F.item.in_(COURSES), open_my_courses),
        (F.item == "news", open_news),
        (F.item == "org", open_organisation),
        (F.item == "bcast", open_broadcasts),
        (F.item == "chans", open_channels),
        (F.item == "lang", open_language),
        (F.item == "help", open_help),
        (F.item == "delete", ask_delete),
    )
    for item, handler in items:
        router.callback_query.register(handler, MenuCallback.filter(item))
    router.callback_query.register(open_home, MenuCallback.filter())
    router.callback_query.register(confirm_delete, DeleteCallback.filter())
    return router
