"""/help, /language and the language choice (also mid-dialog: the step is shown again)."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from backend.models import UserRead
from backend.users import set_language
from bot.commands import set_chat_commands
from bot.context import BotContext
from bot.handlers.assessment import dialog as dialogs
from bot.handlers.assessment.handlers import advance
from bot.handlers.assessment.states import AssessmentStates
from bot.shared.callbacks import LanguageCallback
from bot.shared.menu import (
    CURATOR_ROLES,
    LANGUAGE_LABELS,
    STAFF_ROLES,
    language_keyboard,
    menu_screen,
)

# Shown before any language is chosen, so it speaks both.
LANGUAGE_PROMPT = "Тілді таңдаңыз · Выберите язык"


def help_text(roles: Iterable[str] = ()) -> str:
    """What Sanat does and its commands; the section commands of ``roles`` too."""
    held = set(roles)
    text = _(
        "Sanat helps teachers in Kazakhstan:\n"
        "• estimate the highest qualification category the rules allow (Order No. 338), "
        "with the clause behind every point;\n"
        "• keep track of refresher courses, due once every three years;\n"
        "• receive news from curators.\n\n"
        "Sanat gives an estimate, not an attestation decision.\n\n"
        "Commands:\n"
        "/menu — the main menu (/start too)\n"
        "/courses — my refresher courses\n"
        "/news — news topics and region\n"
        "/language — change the language\n"
        "/cancel — leave the current dialog\n"
        "/help — this message"
    )
    if held & CURATOR_ROLES:
        text += "\n" + _("/broadcast — send a broadcast\n/channels — channels and their links")
    if held & STAFF_ROLES:
        text += "\n" + _("/duty — monthly channel material")
    return text


async def cmd_help(message: Message, user: UserRead) -> None:
    await message.answer(help_text(user.roles))


async def cmd_language(message: Message) -> None:
    await message.answer(LANGUAGE_PROMPT, reply_markup=language_keyboard())


async def choose_language(
    query: CallbackQuery,
    callback_data: LanguageCallback,
    state: FSMContext,
    ctx: BotContext,
) -> None:
    user = ctx.user
    await set_language(session=ctx.session, user_id=user.id, language=callback_data.code)
    ctx.i18n.ctx_locale.set(callback_data.code)  # the rest of this update speaks the new language
    chosen = user.model_copy(update={"language": callback_data.code})
    await set_chat_commands(ctx.bot, ctx.i18n, chosen)  # the command list in that language too
    if not isinstance(query.message, Message):
        return
    await query.message.edit_text(
        _("Language: {language}").format(language=LANGUAGE_LABELS[callback_data.code])
    )
    dialog = await dialogs.load(state)
    current = await state.get_state()
    if dialog is not None and current in {s.state for s in AssessmentStates.__states__}:
        await advance(query, state, dialog, new_message=True, ctx=ctx)
        return
    from bot.handlers.steps import step_prompt  # the steps' modules import this one

    prompt = step_prompt(current)
    if prompt is not None:  # mid-step: the step goes on, asked again in the new language
        await query.message.answer(prompt.text, reply_markup=prompt.markup)
        return
    screen = menu_screen(user.roles)
    await query.message.answer(screen.text, reply_markup=screen.markup)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(
        choose_language, LanguageCallback.filter(F.code.in_(LANGUAGE_LABELS))
    )
    return router
