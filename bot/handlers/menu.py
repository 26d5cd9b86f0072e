"""The main menu, /start mid-dialog, deleting one's data, and items still to come."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.models import UserRead
from backend.rules import assessments
from bot import dialog as dialogs
from bot.flow import show
from bot.handlers import broadcast, channels, news, staff
from bot.handlers.assessment import start_assessment
from bot.handlers.courses import open_courses
from bot.handlers.start import LANGUAGE_PROMPT, help_text
from bot.keyboards.callback_data import DeleteCallback, MenuCallback, NavCallback
from bot.keyboards.common import language_keyboard
from bot.screens import Screen, menu_screen
from bot.states import AssessmentStates, MenuStates

COURSES = ("courses", "reminders")


async def cmd_start(message: Message, state: FSMContext, user: UserRead) -> None:
    if user.language is None:
        await message.answer(LANGUAGE_PROMPT, reply_markup=language_keyboard())
        return
    dialog = await dialogs.load(state)
    current = await state.get_state()
    in_dialog = current in {s.state for s in AssessmentStates.__states__}
    if dialog is not None and in_dialog:
        builder = InlineKeyboardBuilder()
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


async def open_item(
    query: CallbackQuery,
    callback_data: MenuCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    item = callback_data.item
    if item == "assess":
        await start_assessment(query, state, **deps)
    elif item in COURSES:
        await open_courses(query, state, new=True, **deps)
    elif item == "news":
        await news.open_section(query, state, new=True, **deps)
    elif item == "org":
        await staff.open_section(query, state, new=True, **deps)
    elif item == "bcast":
        await broadcast.open_section(query, state, new=True, **deps)
    elif item == "chans":
        await channels.open_section(query, state, new=True, **deps)
    elif item == "lang":
        await show(query, Screen(LANGUAGE_PROMPT, language_keyboard()), new=True)
    elif item == "help":
        await show(query, Screen(help_text()), new=True)
    elif item == "delete":
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Yes, delete everything"), callback_data=DeleteCallback(confirm=True)
        )
        builder.button(text=_("No, keep it"), callback_data=DeleteCallback(confirm=False))
        builder.adjust(1)
        await state.set_state(MenuStates.confirm_delete)
        text = _(
            "Delete everything Sanat keeps about you: saved answers, assessment results and "
            "settings? This cannot be undone."
        )
        await show(query, Screen(text, builder.as_markup()), new=True)
    else:
        screen = menu_screen(deps["user"].roles)
        await show(query, screen, new=True)


async def confirm_delete(
    query: CallbackQuery,
    callback_data: DeleteCallback,
    state: FSMContext,
    user: UserRead,
    **deps: Any,
) -> None:
    if not callback_data.confirm or await state.get_state() != MenuStates.confirm_delete.state:
        await state.set_state(None)
        await show(query, Screen(_("Nothing was deleted.")))
        return
    await assessments.delete_user_data(session=deps["session"], user_id=user.id)
    await state.clear()
    await show(
        query, Screen(_("Done: Sanat no longer keeps any of your data. /start begins anew."))
    )


async def cmd_courses(message: Message, state: FSMContext, **deps: Any) -> None:
    await open_courses(message, state, new=True, **deps)


async def cmd_news(message: Message, state: FSMContext, **deps: Any) -> None:
    await news.open_section(message, state, new=True, **deps)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_courses, Command("courses"))
    router.message.register(cmd_news, Command("news"))
    router.callback_query.register(open_item, MenuCallback.filter())
    router.callback_query.register(confirm_delete, DeleteCallback.filter())
    return router
