"""/broadcast, the typed part of the compose dialog: the message and its second language, the
preview with the exact count, and sending now or at a typed time.

Who may reach whom, the recipient count and delivery belong to ``backend.curators`` and
``backend.broadcasts.service``; this module only walks the curator through the steps. The
buttons between the steps are in ``bot.handlers.broadcasts.steps``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from backend.broadcasts import service as broadcasts
from backend.broadcasts.service import BroadcastInputError, OutOfScopeError
from backend.models import UserRead
from backend.models.types import utcnow
from backend.settings import Settings
from bot.context import BotContext
from bot.handlers.broadcasts.access import curator_scope, refusal
from bot.handlers.broadcasts.draft import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    audience_of,
    drop_draft,
    empty_draft,
    first_language,
    load_draft,
    other_language,
    save_draft,
    send_variant,
    variant_of,
)
from bot.handlers.broadcasts.keyboards import (
    TIME_FORMAT,
    content_prompt,
    language_name,
    schedule_prompt,
    second_prompt,
    summary_screen,
    topic_screen,
    unsubscribe_markup,
)
from bot.handlers.broadcasts.progress import send_progress
from bot.handlers.broadcasts.states import BroadcastStates
from bot.shared.screen import Screen, show


def out_of_scope_screen() -> Screen:
    return Screen(_("That audience is outside your scope. Please narrow it."))


async def start_compose(
    event: Message | CallbackQuery, state: FSMContext, ctx: BotContext
) -> None:
    if await curator_scope(ctx) is None:
        await show(event, Screen(refusal()), new=True)
        return
    await save_draft(state, empty_draft(first_language(ctx.lang)), BroadcastStates.content)
    await show(event, content_prompt(), new=True)


async def cmd_broadcast(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await start_compose(message, state, ctx=ctx)


# --- the message and its second language ------------------------------------------------------
async def content_received(message: Message, state: FSMContext, ctx: BotContext) -> None:
    draft = await load_draft(state)
    if draft is None:
        await start_compose(message, state, ctx=ctx)
        return
    album = message.media_group_id
    if album is not None and album == draft.get("album"):
        # Telegram delivers an album as separate messages: the rest of it is not a variant.
        await message.answer(_("Only the first item of an album is used."))
        return
    variant, problem = variant_of(message)
    if variant is None:
        limit = TEXT_LIMIT if message.text else CAPTION_LIMIT
        await message.answer((problem or "").format(limit=limit))
        await show(message, content_prompt())
        return
    first = draft["lang"]
    draft["album"] = album
    if await state.get_state() == BroadcastStates.second.state:
        draft["content"][other_language(first)] = variant
        await save_draft(state, draft, BroadcastStates.topic)
        await show(message, topic_screen(ctx.lang))
        return
    draft["content"] = {first: variant}
    await save_draft(state, draft, BroadcastStates.second)
    await show(message, second_prompt(other_language(first)))


# --- preview, send, schedule ------------------------------------------------------------------
async def preview(
    query: CallbackQuery, state: FSMContext, draft: dict[str, Any], ctx: BotContext
) -> None:
    """Each variant as recipients will get it, then the count and the Send/Schedule buttons."""
    user: UserRead = ctx.user
    if draft.get("channel_id") is not None:
        count_line = _("Preview above. It will be posted to the chosen channel.")
        markup = None
    else:
        try:
            count = await broadcasts.count_recipients(
                session=ctx.session,
                actor_id=user.id,
                topic=draft["topic"],
                audience=audience_of(draft),
            )
        except OutOfScopeError:
            await save_draft(state, draft, BroadcastStates.audience)
            await show(query, out_of_scope_screen())
            return
        count_line = _("Preview above. Recipients right now: {count}.").format(count=count)
        markup = unsubscribe_markup(draft["topic"], ctx.lang)
    bot: Bot = ctx.bot
    for language in (draft["lang"], other_language(draft["lang"])):
        variant = draft["content"].get(language)
        if variant is None:
            continue
        await bot.send_message(
            query.from_user.id,
            _("Variant in {language}:").format(language=language_name(language)),
        )
        try:
            await send_variant(bot, query.from_user.id, variant, user.full_name or "", markup)
        except TelegramBadRequest:
            # Typically a post from a channel the bot is not in, or broken markup: it would
            # fail for every recipient too, so ask for the message again.
            await save_draft(state, empty_draft(draft["lang"]), BroadcastStates.content)
            await bot.send_message(
                query.from_user.id,
                _(
                    "Telegram would not deliver this message (for a forwarded post: the bot "
                    "must be a member of that channel). Please send it again."
                ),
            )
            await show(query, content_prompt(), new=True)
            return
    await save_draft(state, draft, BroadcastStates.preview)
    await show(query, summary_screen(count_line), new=True)


async def create_and_start(
    event: Message | CallbackQuery,
    state: FSMContext,
    draft: dict[str, Any],
    at: dt.datetime | None,
    ctx: BotContext,
) -> None:
    """Store the broadcast and start it now (``at`` None) or schedule it, then show progress."""
    user: UserRead = ctx.user
    session = ctx.session
    try:
        created = await broadcasts.create_draft(
            session=session,
            actor_id=user.id,
            content=draft["content"],
            topic=draft["topic"],
            audience=audience_of(draft),
            channel_id=draft.get("channel_id"),
        )
        assert created.id is not None
        started = await broadcasts.start(
            session=session, actor_id=user.id, broadcast_id=created.id, at=at
        )
    except OutOfScopeError:
        await show(event, out_of_scope_screen())
        return
    except BroadcastInputError as error:
        problems = ", ".join(f"{field}: {code}" for field, code in error.problems)
        await show(
            event, Screen(_("The broadcast cannot be sent: {problems}.").format(problems=problems))
        )
        return
    await drop_draft(state)
    assert started.id is not None
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await send_progress(target, started.id, ctx=ctx)


async def schedule_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    settings: Settings = ctx.settings
    draft = await load_draft(state)
    if draft is None or not draft.get("topic"):
        await start_compose(message, state, ctx=ctx)
        return
    try:
        local = dt.datetime.strptime((message.text or "").strip(), TIME_FORMAT)
    except ValueError:
        await message.answer(_("That is not a time I can read."))
        await show(message, schedule_prompt(settings))
        return
    at = local.replace(tzinfo=settings.tz)
    if at <= utcnow():
        await message.answer(_("That time has already passed: please type a future time."))
        await show(message, schedule_prompt(settings))
        return
    await create_and_start(message, state, draft, at.astimezone(dt.UTC), ctx=ctx)


def _not_command(message: Message) -> bool:
    return not (message.text or "").startswith("/")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(
        content_received,
        StateFilter(BroadcastStates.content, BroadcastStates.second),
        _not_command,
    )
    router.message.register(
        schedule_typed, StateFilter(BroadcastStates.schedule), F.text, _not_command
    )
    return router
