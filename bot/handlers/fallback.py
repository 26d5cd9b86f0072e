"""Last routers: anything no other handler took gets a localized hint, never silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.handlers.steps import step_prompt


async def unknown_message(message: Message, state: FSMContext) -> None:
    if message.text and message.text.startswith("/"):
        await message.answer(_("Unknown command. Use /start for the menu or /help."))
        return
    prompt = step_prompt(await state.get_state())
    if prompt is not None:  # mid-dialog: what this step waits for, not the generic hint
        await message.answer(prompt.text, reply_markup=prompt.markup)
    else:
        await message.answer(_("I did not understand that. Use /start for the menu or /help."))


async def stale_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    # CallbackAnswerMiddleware sends this once; answering twice is a Bot API error.
    callback_answer.text = _("This button is out of date. Use /start to continue.")
    callback_answer.show_alert = True


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_message)
    router.callback_query.register(stale_button)
    return router
