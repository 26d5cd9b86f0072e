"""News: the topics a person receives curators' broadcasts on, their region, one-tap unsubscribe.

Subscriptions and the region belong to ``backend.broadcasts.topics``; callback data carries topic
and region codes only, and codes not in ``backend.directory`` change nothing.
"""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.broadcasts import topics
from backend.directory import (
    REGION_CODES,
    TOPIC_CODES,
    UMO_TOPIC_PREFIX,
    callback_topic,
    region,
    regions_in_order,
    topic,
    topic_of_callback,
)
from backend.models import UserRead
from bot.context import BotContext
from bot.handlers.news.callbacks import (
    NO_REGION,
    RegionCallback,
    RegionPageCallback,
    ResubscribeCallback,
    TopicToggleCallback,
    UnsubscribeCallback,
)
from bot.shared.callbacks import MenuCallback
from bot.shared.keyboards import REGION_PAGE_SIZE, add_page_arrows, page_of, tick
from bot.shared.screen import Screen, show


def news_screen(chosen: dict[str, bool], region_code: str | None, language: str) -> Screen:
    """A toggle per topic of ``chosen`` (the fixed ones, then the UMO of the person's training
    direction if they picked one), the region, Back."""
    builder = InlineKeyboardBuilder()
    for code, on in chosen.items():
        builder.button(
            text=f"{tick(on)} {topic(code).name(language)}",
            callback_data=TopicToggleCallback(topic=callback_topic(code)),
        )
    region_name = region(region_code).name(language) if region_code in REGION_CODES else None
    builder.button(
        # a whole line each: "not chosen" agrees with "region" (masculine in Russian)
        text=_("📍 Region: {region}").format(region=region_name)
        if region_name
        else _("📍 Region: not chosen"),
        callback_data=RegionPageCallback(page=0),
    )
    builder.button(text=_("⬅ Back"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    text = _(
        "📰 News from curators. Tap a topic to receive its broadcasts (✅) or not (▫️). "
        "Your region helps curators send you what concerns you."
    )
    return Screen(text, builder.as_markup())


def regions_screen(page: int, current: str | None, language: str) -> Screen:
    page, pages, shown = page_of(regions_in_order(language), page, REGION_PAGE_SIZE)
    builder = InlineKeyboardBuilder()
    for entry in shown:
        mark = "✅ " if entry.code == current else ""
        builder.button(
            text=mark + entry.name(language), callback_data=RegionCallback(code=entry.code)
        )
    sizes = [1] * len(shown)
    arrows = add_page_arrows(builder, page, pages, lambda p: RegionPageCallback(page=p))
    if arrows:
        sizes.append(arrows)
    builder.button(text=_("No region"), callback_data=RegionCallback(code=NO_REGION))
    builder.button(text=_("⬅ Back"), callback_data=MenuCallback(item="news"))
    sizes += [1, 1]
    builder.adjust(*sizes)
    text = _("Choose your region (page {page} of {pages}).").format(page=page + 1, pages=pages)
    return Screen(text, builder.as_markup())


async def open_section(
    event: Message | CallbackQuery,
    state: FSMContext,
    *,
    notice: str | None = None,
    new: bool = False,
    ctx: BotContext,
) -> None:
    """The News menu item (and /news)."""
    user: UserRead = ctx.user
    session = ctx.session
    chosen = await topics.topics_with_umo(session, user.id)
    region_code = await topics.region_of(session, user.id)
    screen = news_screen(chosen, region_code, ctx.lang)
    if notice:
        screen = Screen(f"{notice}\n\n{screen.text}", screen.markup)
    await show(event, screen, new=new)


async def _own_topic(callback_value: str, ctx: BotContext) -> str | None:
    """The topic code a News button names, if it is one this person may change: a fixed topic,
    or the UMO topic of the training direction they picked; None for anything else."""
    code = topic_of_callback(callback_value)
    if code in TOPIC_CODES:
        return code
    direction = await topics.chosen_umo_direction(ctx.session, ctx.user.id)
    return code if direction is not None and code == f"{UMO_TOPIC_PREFIX}{direction}" else None


async def _stale_button(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    """A code no longer in the directory (or forged): change nothing, show the topics again."""
    callback_answer.text = _("This button is out of date. Here are your topics.")
    await open_section(query, state, ctx=ctx)


async def toggle_topic(
    query: CallbackQuery,
    callback_data: TopicToggleCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    user: UserRead = ctx.user
    session = ctx.session
    code = await _own_topic(callback_data.topic, ctx)
    if code is None:
        await _stale_button(query, state, callback_answer, ctx)
        return
    chosen = await topics.topics_with_umo(session, user.id)
    await topics.set_topic(session, user.id, code, not chosen.get(code, False))
    await open_section(query, state, ctx=ctx)


async def region_page(
    query: CallbackQuery, callback_data: RegionPageCallback, state: FSMContext, ctx: BotContext
) -> None:
    current = await topics.region_of(ctx.session, ctx.user.id)
    await show(query, regions_screen(callback_data.page, current, ctx.lang))


async def choose_region(
    query: CallbackQuery,
    callback_data: RegionCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    code = None if callback_data.code == NO_REGION else callback_data.code
    if code is not None and code not in REGION_CODES:
        await _stale_button(query, state, callback_answer, ctx)
        return
    await topics.set_region(ctx.session, ctx.user.id, code)
    if code is None:
        notice = _("Region cleared.")
    else:
        notice = _("Region: {region}.").format(region=escape(region(code).name(ctx.lang)))
    await open_section(query, state, notice=notice, ctx=ctx)


async def unsubscribe(
    query: CallbackQuery,
    callback_data: UnsubscribeCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """The button under a broadcast: leave its topic in one tap, with a way back."""
    code = await _own_topic(callback_data.topic, ctx)
    if code is None:
        callback_answer.text = _("This button is out of date. Open 📰 News in /menu instead.")
        callback_answer.show_alert = True
        return
    await topics.set_topic(ctx.session, ctx.user.id, code, False)
    name = topic(code).name(ctx.lang)
    callback_answer.text = _("Unsubscribed from «{topic}».").format(topic=name)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("↩ Undo"), callback_data=ResubscribeCallback(topic=callback_data.topic))
    builder.button(text=_("📰 News"), callback_data=MenuCallback(item="news"))
    builder.adjust(2)
    text = _(
        "You will no longer receive broadcasts on «{topic}». "
        "You can change this any time in 📰 News."
    ).format(topic=escape(name))
    # A new message: the broadcast the button was under stays as it was.
    await show(query, Screen(text, builder.as_markup()), new=True)


async def resubscribe(
    query: CallbackQuery,
    callback_data: ResubscribeCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    code = await _own_topic(callback_data.topic, ctx)
    if code is None:
        await _stale_button(query, state, callback_answer, ctx)
        return
    await topics.set_topic(ctx.session, ctx.user.id, code, True)
    name = topic(code).name(ctx.lang)
    notice = _("You receive «{topic}» again.").format(topic=escape(name))
    await open_section(query, state, notice=notice, ctx=ctx)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(toggle_topic, TopicToggleCallback.filter())
    router.callback_query.register(region_page, RegionPageCallback.filter())
    router.callback_query.register(choose_region, RegionCallback.filter())
    router.callback_query.register(unsubscribe, UnsubscribeCallback.filter())
    router.callback_query.register(resubscribe, ResubscribeCallback.filter())
    return router
