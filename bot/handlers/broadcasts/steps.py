"""The buttons of the compose dialog (``bk:<step>:<value>``): topic, audience filters, a
channel instead, preview, send, schedule, cancel.

Every press is checked the same way first (a curator, a live draft, the message already there,
a topic where needed); then one small function per step changes the draft and shows the next
screen. A forged or stale press is refused with an alert and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend import staff
from backend.channels import registration as channels
from backend.curators import Scope
from backend.directory import TOPIC_CODES, UMO_TOPIC_PREFIX
from backend.rules.loader import Ruleset
from backend.umo.directory import load_directory
from bot.context import BotContext
from bot.handlers.broadcasts.access import alert, curator_scope, refusal, stale_text
from bot.handlers.broadcasts.compose import create_and_start, preview, start_compose
from bot.handlers.broadcasts.draft import drop_draft, load_draft, save_draft
from bot.handlers.broadcasts.keyboards import (
    ROLES,
    ComposeCallback,
    audience_screen,
    categories_screen,
    content_prompt,
    orgs_in,
    orgs_screen,
    regions_in,
    regions_screen,
    schedule_prompt,
    topic_screen,
    umo_topics_screen,
)
from bot.handlers.broadcasts.states import BroadcastStates
from bot.shared.keyboards import REGION_PAGE_SIZE
from bot.shared.screen import Screen, short, show


async def _org_names(ctx: BotContext, scope: Scope) -> dict[int, str]:
    names = {}
    for org_id in orgs_in(scope):
        try:
            found = await staff.get_organisation(session=ctx.session, organisation_id=org_id)
        except staff.OrganisationNotFoundError:
            continue
        names[org_id] = found.name
    return names


async def channels_screen(ctx: BotContext) -> Screen:
    found = await channels.list_channels(ctx.session, ctx.user.id)
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
    ctx: BotContext

    async def save(self, new_state: State | None = None) -> None:
        await save_draft(self.state, self.draft, new_state)

    def refuse(self, text: str) -> None:
        alert(self.answer, text)


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
    await _topic_chosen(step, step.value)


async def _topic_chosen(step: Step, code: str) -> None:
    step.draft["topic"] = code
    await step.save(BroadcastStates.audience)
    await show(step.query, audience_screen(step.draft, step.scope, step.language))


async def _on_topics(step: Step) -> None:
    """Back from the UMO list to the topics."""
    if step.current not in (BroadcastStates.topic.state, BroadcastStates.audience.state):
        step.refuse(stale_text())
        return
    await show(step.query, topic_screen(step.language))


async def _on_umo_topics(step: Step) -> None:
    if step.current not in (BroadcastStates.topic.state, BroadcastStates.audience.state):
        step.refuse(stale_text())
        return
    page = int(step.value) if step.value.isdigit() else 0
    await show(step.query, umo_topics_screen(page))


async def _on_umo_topic(step: Step) -> None:
    """A UMO's news topic (``umo:<direction>``): any curator may choose it; their scope still
    narrows who receives it."""
    if step.value not in load_directory().directions:  # forged, or gone from the data
        step.refuse(stale_text())
        return
    await _topic_chosen(step, f"{UMO_TOPIC_PREFIX}{step.value}")


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
    names = await _org_names(step.ctx, step.scope)
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
    ruleset: Ruleset = step.ctx.ruleset
    await show(step.query, categories_screen(step.draft, ruleset, step.language))


async def _on_category(step: Step) -> None:
    ruleset: Ruleset = step.ctx.ruleset
    known = [info.id for info in ruleset.meta.categories]
    if step.value not in known:
        step.refuse(stale_text())
        return
    chosen = set(step.draft.get("categories") or ()) ^ {step.value}
    step.draft["categories"] = [c for c in known if c in chosen]
    await step.save(BroadcastStates.audience)
    await _on_categories(step)


async def _on_channels(step: Step) -> None:
    await show(step.query, await channels_screen(step.ctx))


async def _on_channel(step: Step) -> None:
    found = await channels.list_channels(step.ctx.session, step.ctx.user.id)
    channel_id = int(step.value) if step.value.isdigit() else -1
    if channel_id not in {c.id for c in found}:
        step.refuse(_("That channel is not available to you."))
        return
    step.draft["channel_id"] = channel_id
    await preview(step.query, step.state, step.draft, ctx=step.ctx)


async def _on_preview(step: Step) -> None:
    await preview(step.query, step.state, step.draft, ctx=step.ctx)


async def _on_send(step: Step) -> None:
    if step.current != BroadcastStates.preview.state:  # a second tap, or an old message
        step.refuse(stale_text())
        return
    await create_and_start(step.query, step.state, step.draft, None, ctx=step.ctx)


async def _on_schedule(step: Step) -> None:
    if step.current != BroadcastStates.preview.state:
        step.refuse(stale_text())
        return
    await step.save(BroadcastStates.schedule)
    await show(step.query, schedule_prompt(step.ctx.settings))


STEPS: dict[str, Callable[[Step], Awaitable[None]]] = {
    "skip": _on_skip,
    "topic": _on_topic,
    "topics": _on_topics,
    "umos": _on_umo_topics,
    "umo": _on_umo_topic,
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
NEEDS_TOPIC = frozenset(STEPS) - {"skip", "topic", "topics", "umos", "umo"}


async def compose_new(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await start_compose(query, state, ctx=ctx)


async def _open_draft(
    state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> tuple[dict[str, Any], Scope, str | None] | None:
    """(draft, scope, dialog state) of a compose button; None (after saying why) when the user
    is no curator or the button is from a dialog that is over."""
    scope = await curator_scope(ctx)
    if scope is None:
        alert(callback_answer, refusal())
        return None
    current = await state.get_state()
    draft = await load_draft(state)
    if draft is None or current not in {s.state for s in BroadcastStates.__states__}:
        alert(callback_answer, stale_text())
        return None
    return draft, scope, current


async def compose_cancel(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    if await _open_draft(state, callback_answer, ctx) is None:
        return
    await drop_draft(state)
    await show(query, Screen(_("The broadcast is cancelled: nothing was sent.")))


async def compose_step(
    query: CallbackQuery,
    callback_data: ComposeCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """A step of STEPS; each needs the message first, and all but the first two the topic."""
    opened = await _open_draft(state, callback_answer, ctx)
    if opened is None:
        return
    draft, scope, current = opened
    if not draft.get("content"):  # every later step needs the message first
        await show(query, content_prompt(), new=True)
        return
    language = ctx.lang
    if callback_data.a in NEEDS_TOPIC and not draft.get("topic"):
        await save_draft(state, draft, BroadcastStates.topic)
        await show(query, topic_screen(language))
        return
    handler = STEPS.get(callback_data.a)
    if handler is None:
        alert(callback_answer, stale_text())
        return
    step = Step(
        query, state, callback_answer, draft, scope, callback_data.v, current, language, ctx
    )
    await handler(step)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(compose_new, ComposeCallback.filter(F.a == "new"))
    router.callback_query.register(compose_cancel, ComposeCallback.filter(F.a == "cancel"))
    router.callback_query.register(compose_step, ComposeCallback.filter())
    return router
