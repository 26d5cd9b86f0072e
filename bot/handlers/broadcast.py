"""/broadcast: a curator composes a message, picks topic and audience, previews, sends or
schedules it, and steers it with the progress buttons; the 📣 Broadcasts section lists them.

Who may reach whom, the recipient count and delivery belong to ``backend.services.curators`` and
``backend.services.broadcasts``; this module only walks the curator through the steps. The draft
lives in the FSM data (the database), so a half-composed broadcast survives a restart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.directory import TOPIC_CODES, topic
from backend.models import UserRead
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.services import broadcasts, channels, curators, staff
from backend.services.broadcast_texts import progress_keyboard, progress_text
from backend.services.broadcasts import (
    Audience,
    BroadcastInputError,
    BroadcastNotFoundError,
    BroadcastStateError,
    OutOfScopeError,
    Variant,
)
from backend.services.curators import NotCuratorError, Scope
from backend.settings import Settings
from bot.flow import show
from bot.handlers import curators_admin
from bot.keyboards.broadcast import (
    REGION_PAGE_SIZE,
    ROLES,
    TIME_FORMAT,
    BroadcastCallback,
    ComposeCallback,
    audience_screen,
    categories_screen,
    content_prompt,
    language_name,
    orgs_in,
    orgs_screen,
    regions_in,
    regions_screen,
    schedule_prompt,
    second_prompt,
    status_name,
    summary_screen,
    topic_screen,
    unsubscribe_markup,
)
from bot.keyboards.callback_data import MenuCallback
from bot.screens import Screen, short

KEY = "bcast"  # the draft being composed, in the FSM data
TEXT_LIMIT = 4096  # Bot API limits: a message and a caption
CAPTION_LIMIT = 1024
RECENT = 10


class BroadcastStates(StatesGroup):
    """Stored names: a stable API (see bot.states)."""

    content = State()  # waiting for the message in the curator's language
    second = State()  # waiting for the variant in the other language (or skip)
    topic = State()  # choosing the topic
    audience = State()  # roles, regions, organisations, or a channel
    preview = State()  # the preview and the exact count are shown
    schedule = State()  # typing the local time to send at


# --- small helpers ----------------------------------------------------------------------------
def _locale(deps: dict[str, Any]) -> str:
    return str(deps["i18n"].current_locale)


def _first_language(deps: dict[str, Any]) -> str:
    """Variants exist in kk and ru; an English-speaking curator writes the Russian one."""
    return "kk" if _locale(deps) == "kk" else "ru"


def _other(language: str) -> str:
    return "ru" if language == "kk" else "kk"


def refusal() -> str:
    return _("Broadcasts are for curators. If you should be one, please ask an administrator.")


def stale_text() -> str:
    return _("This button is out of date. Use /broadcast to start again.")


async def _scope(deps: dict[str, Any]) -> Scope | None:
    try:
        return await curators.scope_of(session=deps["session"], user_id=deps["user"].id)
    except NotCuratorError:
        return None


def _empty_draft(language: str) -> dict[str, Any]:
    return {
        "lang": language,
        "content": {},
        "topic": None,
        "roles": [],
        "regions": [],
        "orgs": [],
        "categories": [],
        "channel_id": None,
    }


async def _draft(state: FSMContext) -> dict[str, Any] | None:
    raw = (await state.get_data()).get(KEY)
    return raw if isinstance(raw, dict) else None


async def _save(state: FSMContext, draft: dict[str, Any], new_state: State | None = None) -> None:
    await state.update_data({KEY: draft})
    if new_state is not None:
        await state.set_state(new_state)


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(
        roles=tuple(draft.get("roles") or ()),
        regions=tuple(draft.get("regions") or ()),
        organisation_ids=tuple(int(i) for i in draft.get("orgs") or ()),
        categories=tuple(draft.get("categories") or ()),
    )


def variant_of(message: Message) -> tuple[Variant | None, str | None]:
    """The message as a broadcast variant, or a localized reason why it cannot be one."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        # Relayed with copyMessage: the post keeps its media, formatting and buttons.
        return {
            "type": "copy",
            "from_chat_id": origin.chat.id,
            "message_id": origin.message_id,
        }, None
    caption = message.html_text if message.caption else None
    if message.photo or message.document:
        if caption is not None and len(message.caption or "") > CAPTION_LIMIT:
            return None, _("The caption is too long: please keep it under {limit} characters.")
        if message.photo:
            file_id = message.photo[-1].file_id  # the largest size
            kind = "photo"
        else:
            assert message.document is not None
            file_id, kind = message.document.file_id, "document"
        return {"type": kind, "file_id": file_id, "caption": caption, "parse_mode": "HTML"}, None
    if message.text:
        if len(message.text) > TEXT_LIMIT:
            return None, _("The text is too long: please keep it under {limit} characters.")
        return {"type": "text", "text": message.html_text, "parse_mode": "HTML"}, None
    return None, _("Please send text, a photo, a document, or forward a post from a channel.")


# --- starting ---------------------------------------------------------------------------------


async def start_compose(event: Message | CallbackQuery, state: FSMContext, **deps: Any) -> None:
    if await _scope(deps) is None:
        await show(event, Screen(refusal()), new=True)
        return
    await _save(state, _empty_draft(_first_language(deps)), BroadcastStates.content)
    await show(event, content_prompt(), new=True)


async def cmd_broadcast(message: Message, state: FSMContext, **deps: Any) -> None:
    await start_compose(message, state, **deps)


async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, **deps: Any
) -> None:
    """📣 Broadcasts: the curator's recent broadcasts and a New broadcast button."""
    if await _scope(deps) is None:
        await show(event, Screen(refusal()), new=new)
        return
    recent = await broadcasts.list_for(
        session=deps["session"], actor_id=deps["user"].id, limit=RECENT
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ New broadcast"), callback_data=ComposeCallback(a="new"))
    settings: Settings = deps["settings"]
    lines = [_("📣 Broadcasts")]
    for item in recent:
        assert item.id is not None
        when = item.created_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        name = topic(item.topic).name(_locale(deps)) if item.topic in TOPIC_CODES else item.topic
        status = status_name(item.status)
        lines.append(f"#{item.id} · {escape(name)} · {status} · {when}")
        builder.button(
            text=f"#{item.id} · {status}",
            callback_data=BroadcastCallback(action="v", broadcast_id=item.id),
        )
    if not recent:
        lines.append(_("No broadcasts yet."))
    builder.button(text=_("⬅ Back"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    await show(event, Screen("\n".join(lines), builder.as_markup()), new=new)


# --- the message and its second language ------------------------------------------------------
async def content_received(message: Message, state: FSMContext, **deps: Any) -> None:
    draft = await _draft(state)
    if draft is None:
        await start_compose(message, state, **deps)
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
        draft["content"][_other(first)] = variant
        await _save(state, draft, BroadcastStates.topic)
        await show(message, topic_screen(_locale(deps)))
        return
    draft["content"] = {first: variant}
    await _save(state, draft, BroadcastStates.second)
    await show(message, second_prompt(_other(first)))


# --- topic and audience -----------------------------------------------------------------------


async def _org_names(deps: dict[str, Any], scope: Scope) -> dict[int, str]:
    names = {}
    for org_id in orgs_in(scope):
        try:
            found = await staff.get_organisation(session=deps["session"], organisation_id=org_id)
        except staff.OrganisationNotFoundError:
            continue
        names[org_id] = found.name
    return names


async def channels_screen(deps: dict[str, Any]) -> Screen:
    found = await channels.list_channels(deps["session"], deps["user"].id)
    builder = InlineKeyboardBuilder()
    for channel in found:
        assert channel.id is not None
        builder.button(
            text=short(channel.title), callback_data=ComposeCallback(a="chan", v=str(channel.id))
        )
    builder.button(text=_("⬅ Back"), callback_data=ComposeCallback(a="aud"))
    builder.adjust(1)
    if not found:
        return Screen(
            _(
                "No registered channel you may post to. Add the bot to a channel as an "
                "admin first."
            ),
            builder.as_markup(),
        )
    return Screen(_("Choose the channel or group to post to."), builder.as_markup())


# --- preview, send, schedule ------------------------------------------------------------------
def _personal(text: str | None, name: str) -> str | None:
    return None if text is None else text.replace("{name}", escape(name))


async def send_variant(
    bot: Bot, chat_id: int, variant: Variant, name: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send one variant to ``chat_id`` the way a recipient would get it."""
    kind = variant.get("type")
    if kind == "copy":
        await bot.copy_message(
            chat_id, variant["from_chat_id"], variant["message_id"], reply_markup=markup
        )
    elif kind == "photo":
        await bot.send_photo(
            chat_id,
            variant["file_id"],
            caption=_personal(variant.get("caption"), name),
            parse_mode=variant.get("parse_mode"),
            reply_markup=markup,
        )
    elif kind == "document":
        await bot.send_document(
            chat_id,
            variant["file_id"],
            caption=_personal(variant.get("caption"), name),
            parse_mode=variant.get("parse_mode"),
            reply_markup=markup,
        )
    else:
        await bot.send_message(
            chat_id,
            _personal(variant.get("text"), name) or "",
            parse_mode=variant.get("parse_mode"),
            reply_markup=markup,
        )


async def preview(
    query: CallbackQuery, state: FSMContext, draft: dict[str, Any], **deps: Any
) -> None:
    user: UserRead = deps["user"]
    session = deps["session"]
    if draft.get("channel_id") is not None:
        count_line = _("Preview above. It will be posted to the chosen channel.")
        markup = None
    else:
        try:
            count = await broadcasts.count_recipients(
                session=session, actor_id=user.id, topic=draft["topic"], audience=_audience(draft)
            )
        except OutOfScopeError:
            await _save(state, draft, BroadcastStates.audience)
            await show(query, Screen(_("That audience is outside your scope. Please narrow it.")))
            return
        count_line = _("Preview above. Recipients right now: {count}.").format(count=count)
        markup = unsubscribe_markup(draft["topic"], _locale(deps))
    bot: Bot = deps["bot"]
    for language in (draft["lang"], _other(draft["lang"])):
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
            await _save(state, _empty_draft(draft["lang"]), BroadcastStates.content)
            await bot.send_message(
                query.from_user.id,
                _(
                    "Telegram would not deliver this message (for a forwarded post: the bot "
                    "must be a member of that channel). Please send it again."
                ),
            )
            await show(query, content_prompt(), new=True)
            return
    await _save(state, draft, BroadcastStates.preview)
    await show(query, summary_screen(count_line), new=True)


async def _create_and_start(
    event: Message | CallbackQuery,
    state: FSMContext,
    draft: dict[str, Any],
    at: dt.datetime | None,
    **deps: Any,
) -> None:
    user: UserRead = deps["user"]
    session = deps["session"]
    try:
        created = await broadcasts.create_draft(
            session=session,
            actor_id=user.id,
            content=draft["content"],
            topic=draft["topic"],
            audience=_audience(draft),
            channel_id=draft.get("channel_id"),
        )
        assert created.id is not None
        started = await broadcasts.start(
            session=session, actor_id=user.id, broadcast_id=created.id, at=at
        )
    except OutOfScopeError:
        await show(event, Screen(_("That audience is outside your scope. Please narrow it.")))
        return
    except BroadcastInputError as error:
        problems = ", ".join(f"{field}: {code}" for field, code in error.problems)
        await show(
            event, Screen(_("The broadcast cannot be sent: {problems}.").format(problems=problems))
        )
        return
    await state.update_data({KEY: None})
    await state.set_state(None)
    assert started.id is not None
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await send_progress(target, started.id, **deps)


async def send_progress(target: Message, broadcast_id: int, **deps: Any) -> None:
    """The self-updating progress message: the backend ticker edits it from now on."""
    session = deps["session"]
    current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    language = _locale(deps)
    sent = await target.answer(
        progress_text(current, language),
        reply_markup=InlineKeyboardMarkup.model_validate(progress_keyboard(current, language)),
        parse_mode=None,
    )
    await broadcasts.set_progress_message(
        session=session,
        broadcast_id=broadcast_id,
        chat_id=sent.chat.id,
        message_id=sent.message_id,
    )


async def schedule_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    settings: Settings = deps["settings"]
    draft = await _draft(state)
    if draft is None or not draft.get("topic"):
        await start_compose(message, state, **deps)
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
    await _create_and_start(message, state, draft, at.astimezone(dt.UTC), **deps)


# --- the compose buttons ----------------------------------------------------------------------
@dataclass
class Step:
    """One press of a compose button, after the common checks."""

    query: CallbackQuery
    state: FSMContext
    answer: CallbackAnswer
    draft: dict[str, Any]
    scope: Scope
    value: str
    current: str | None
    language: str
    deps: dict[str, Any]

    async def save(self, new_state: State | None = None) -> None:
        await _save(self.state, self.draft, new_state)

    def refuse(self, text: str) -> None:
        self.answer.text = text
        self.answer.show_alert = True


async def _on_skip(step: Step) -> None:
    if step.current != BroadcastStates.second.state:
        step.refuse(stale_text())
        return
    await step.save(BroadcastStates.topic)
    await show(step.query, topic_screen(step.language))


async def _on_topic(step: Step) -> None:
    if step.value not in TOPIC_CODES:
        step.refuse(stale_text())
        return
    step.draft["topic"] = step.value
    await step.save(BroadcastStates.audience)
    await show(step.query, audience_screen(step.draft, step.scope, step.language))


async def _on_audience(step: Step) -> None:
    step.draft["channel_id"] = None
    await step.save(BroadcastStates.audience)
    await show(step.query, audience_screen(step.draft, step.scope, step.language))


async def _on_role(step: Step) -> None:
    if step.value in ROLES:
        roles = set(step.draft.get("roles") or ()) ^ {step.value}
        step.draft["roles"] = [r for r in ROLES if r in roles]
        await step.save(BroadcastStates.audience)
    await show(step.query, audience_screen(step.draft, step.scope, step.language))


async def _on_regions(step: Step) -> None:
    page = int(step.value) if step.value.isdigit() else 0
    await show(step.query, regions_screen(step.draft, step.scope, page, step.language))


async def _on_region(step: Step) -> None:
    allowed = regions_in(step.scope)
    if step.value not in allowed:  # forged, or the scope changed meanwhile
        step.refuse(_("That region is outside your scope."))
        return
    chosen = set(step.draft.get("regions") or ()) ^ {step.value}
    step.draft["regions"] = [c for c in allowed if c in chosen]
    await step.save(BroadcastStates.audience)
    page = allowed.index(step.value) // REGION_PAGE_SIZE
    await show(step.query, regions_screen(step.draft, step.scope, page, step.language))


async def _on_orgs(step: Step) -> None:
    names = await _org_names(step.deps, step.scope)
    await show(step.query, orgs_screen(step.draft, step.scope, names))


async def _on_org(step: Step) -> None:
    allowed = orgs_in(step.scope)
    org_id = int(step.value) if step.value.isdigit() else -1
    if org_id not in allowed:
        step.refuse(_("That organisation is outside your scope."))
        return
    chosen = {int(i) for i in step.draft.get("orgs") or ()} ^ {org_id}
    step.draft["orgs"] = [i for i in allowed if i in chosen]
    await step.save(BroadcastStates.audience)
    await _on_orgs(step)


async def _on_categories(step: Step) -> None:
    ruleset: Ruleset = step.deps["ruleset"]
    await show(step.query, categories_screen(step.draft, ruleset, step.language))


async def _on_category(step: Step) -> None:
    ruleset: Ruleset = step.deps["ruleset"]
    known = [info.id for info in ruleset.meta.categories]
    if step.value not in known:
        step.refuse(stale_text())
        return
    chosen = set(step.draft.get("categories") or ()) ^ {step.value}
    step.draft["categories"] = [c for c in known if c in chosen]
    await step.save(BroadcastStates.audience)
    await _on_categories(step)


async def _on_channels(step: Step) -> None:
    await show(step.query, await channels_screen(step.deps))


async def _on_channel(step: Step) -> None:
    found = await channels.list_channels(step.deps["session"], step.deps["user"].id)
    channel_id = int(step.value) if step.value.isdigit() else -1
    if channel_id not in {c.id for c in found}:
        step.refuse(_("That channel is not available to you."))
        return
    step.draft["channel_id"] = channel_id
    await preview(step.query, step.state, step.draft, **step.deps)


async def _on_preview(step: Step) -> None:
    await preview(step.query, step.state, step.draft, **step.deps)


async def _on_send(step: Step) -> None:
    if step.current != BroadcastStates.preview.state:  # a second tap, or an old message
        step.refuse(stale_text())
        return
    await _create_and_start(step.query, step.state, step.draft, None, **step.deps)


async def _on_schedule(step: Step) -> None:
    if step.current != BroadcastStates.preview.state:
        step.refuse(stale_text())
        return
    await step.save(BroadcastStates.schedule)
    await show(step.query, schedule_prompt(step.deps["settings"]))


STEPS: dict[str, Callable[[Step], Awaitable[None]]] = {
    "skip": _on_skip,
    "topic": _on_topic,
    "aud": _on_audience,
    "role": _on_role,
    "regs": _on_regions,
    "reg": _on_region,
    "orgs": _on_orgs,
    "org": _on_org,
    "cats": _on_categories,
    "cat": _on_category,
    "chans": _on_channels,
    "chan": _on_channel,
    "preview": _on_preview,
    "send": _on_send,
    "sched": _on_schedule,
}
NEEDS_TOPIC = frozenset(STEPS) - {"skip", "topic"}


async def compose_button(
    query: CallbackQuery,
    callback_data: ComposeCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    action = callback_data.a
    if action == "new":
        await start_compose(query, state, **deps)
        return
    scope = await _scope(deps)
    if scope is None:
        callback_answer.text = refusal()
        callback_answer.show_alert = True
        return
    current = await state.get_state()
    draft = await _draft(state)
    handler = STEPS.get(action)
    if draft is None or current not in {s.state for s in BroadcastStates.__states__}:
        callback_answer.text = stale_text()
        callback_answer.show_alert = True
        return
    if action == "cancel":
        await state.update_data({KEY: None})
        await state.set_state(None)
        await show(query, Screen(_("The broadcast is cancelled: nothing was sent.")))
        return
    if not draft.get("content"):  # every later step needs the message first
        await show(query, content_prompt(), new=True)
        return
    language = _locale(deps)
    if action in NEEDS_TOPIC and not draft.get("topic"):
        await _save(state, draft, BroadcastStates.topic)
        await show(query, topic_screen(language))
        return
    if handler is None:
        callback_answer.text = stale_text()
        callback_answer.show_alert = True
        return
    step = Step(
        query, state, callback_answer, draft, scope, callback_data.v, current, language, deps
    )
    await handler(step)


# --- the progress buttons ---------------------------------------------------------------------
async def progress_button(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    session = deps["session"]
    actor_id = deps["user"].id
    broadcast_id = callback_data.broadcast_id
    if await _scope(deps) is None:
        callback_answer.text = refusal()
        callback_answer.show_alert = True
        return
    actions = {"p": broadcasts.pause, "r": broadcasts.resume, "x": broadcasts.cancel}
    try:
        if callback_data.action in actions:
            await actions[callback_data.action](
                session=session, actor_id=actor_id, broadcast_id=broadcast_id
            )
        elif callback_data.action == "csv":
            body = await broadcasts.report_csv(
                session=session, actor_id=actor_id, broadcast_id=broadcast_id
            )
            bot: Bot = deps["bot"]
            await bot.send_document(
                query.from_user.id,
                BufferedInputFile(body, filename=f"broadcast-{broadcast_id}.csv"),
                caption=_("Report of broadcast #{id}.").format(id=broadcast_id),
            )
            return
        else:  # "v": view, from the list; reading still requires the right to it
            await broadcasts.get(session=session, actor_id=actor_id, broadcast_id=broadcast_id)
    except (OutOfScopeError, BroadcastNotFoundError):
        callback_answer.text = _("This broadcast is not available to you.")
        callback_answer.show_alert = True
        return
    except BroadcastStateError:
        callback_answer.text = _("That is no longer possible: the broadcast has moved on.")
    if isinstance(query.message, Message):
        if callback_data.action == "v":
            await send_progress(query.message, broadcast_id, **deps)
            return
        current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
        language = _locale(deps)
        await show_progress(query.message, current, language)


async def show_progress(message: Message, current: broadcasts.Progress, language: str) -> None:
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
        await message.edit_text(
            progress_text(current, language),
            reply_markup=InlineKeyboardMarkup.model_validate(progress_keyboard(current, language)),
            parse_mode=None,
        )


def _not_command(message: Message) -> bool:
    return not (message.text or "").startswith("/")


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_router(curators_admin.create_router())  # admins grant the curator role
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.callback_query.register(compose_button, ComposeCallback.filter())
    router.callback_query.register(progress_button, BroadcastCallback.filter())
    router.message.register(
        content_received,
        StateFilter(BroadcastStates.content, BroadcastStates.second),
        _not_command,
    )
    router.message.register(
        schedule_typed, StateFilter(BroadcastStates.schedule), F.text, _not_command
    )
    return router
