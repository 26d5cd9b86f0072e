"""Callback data and screens of broadcasts and the compose dialog.

Callback data carries codes and ids only (64 bytes). Screens are pure functions of the draft
(the FSM data) and the curator's scope; the handlers in ``bot.handlers.broadcasts`` decide.

``bc`` and ``unsub`` are shared with the backend, which builds the same strings by hand
(``backend.broadcasts.texts`` and the broadcast outbox payload): keep them in step.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.broadcasts import service as broadcasts
from backend.broadcasts.statuses import BROADCAST_STATUS
from backend.curators import Scope
from backend.directory import TOPICS, callback_topic, region, regions_in_order, topic
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.umo.directory import load_directory
from bot.handlers.news.callbacks import UnsubscribeCallback
from bot.shared.keyboards import REGION_PAGE_SIZE, add_page_arrows, page_of, tick
from bot.shared.screen import Screen, short

ROLES = ("teachers", "staff", "students")
UMO_PAGE_SIZE = 10
TIME_FORMAT = "%d.%m.%Y %H:%M"


class BroadcastCallback(CallbackData, prefix="bc"):
    """The curator's progress buttons: ``bc:<action>:<broadcast id>``."""

    action: str  # p pause | r resume | x cancel | csv report | v view
    broadcast_id: int


class ComposeCallback(CallbackData, prefix="bk"):
    """A step of the compose dialog; stale presses are caught by the dialog state."""

    a: str  # a key of bot.handlers.broadcasts.steps.STEPS, or new | cancel
    v: str = ""  # a topic, role or region code, an organisation or channel id, a page


def status_name(status: str) -> str:
    """The broadcast status as the backend's progress message names it (one set of names)."""
    return _(BROADCAST_STATUS[status]) if status in BROADCAST_STATUS else status


# --- building blocks shared by the screens below and News -------------------------------
def _add_cancel(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("✖ Cancel"), callback_data=ComposeCallback(a="cancel"))


def _add_done(builder: InlineKeyboardBuilder) -> None:
    """Back from a filter's sub-screen to the audience screen."""
    builder.button(text=_("✔ Done"), callback_data=ComposeCallback(a="aud"))


# --- compose screens ---------------------------------------------------------------------
def language_name(language: str) -> str:
    return _("Kazakh") if language == "kk" else _("Russian")


def role_name(role: str) -> str:
    names = {"teachers": _("Teachers"), "staff": _("College staff"), "students": _("Students")}
    return names.get(role, role)


def cancel_markup() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _add_cancel(builder)
    return builder.as_markup()


def content_prompt() -> Screen:
    return Screen(
        _(
            "📣 New broadcast. Send the message: text, a photo, a document, or forward a post "
            "from a channel. {{name}} in the text becomes each recipient's name."
        ).format(),
        cancel_markup(),
    )


def second_prompt(language: str) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=ComposeCallback(a="skip"))
    _add_cancel(builder)
    builder.adjust(2)
    text = _(
        "Add the variant in {language}? Send it now, or skip: then everyone gets this one."
    ).format(language=language_name(language))
    return Screen(text, builder.as_markup())


def topic_screen(language: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for entry in TOPICS:
        builder.button(
            text=entry.name(language), callback_data=ComposeCallback(a="topic", v=entry.code)
        )
    builder.button(
        text=_("🧭 The UMO of a training direction"), callback_data=ComposeCallback(a="umos")
    )
    _add_cancel(builder)
    builder.adjust(1)
    text = _(
        "Choose the topic. Only people subscribed to it receive the broadcast, and each can "
        "unsubscribe from it in one tap."
    )
    return Screen(text, builder.as_markup())


def umo_topics_screen(page: int) -> Screen:
    """The news topics of the UMOs (Order 400, annex 2), one per training direction, paged;
    a button carries the direction code only."""
    directory = load_directory()
    names = {umo.direction: umo.name for umo in directory.umos}  # kk, as the order names them
    page, pages, shown = page_of(directory.directions, page, UMO_PAGE_SIZE)
    builder = InlineKeyboardBuilder()
    for code in shown:
        builder.button(
            text=short(f"{code} {names[code]}"), callback_data=ComposeCallback(a="umo", v=code)
        )
    sizes = [1] * len(shown)
    arrows = add_page_arrows(builder, page, pages, lambda p: ComposeCallback(a="umos", v=str(p)))
    if arrows:
        sizes.append(arrows)
    builder.button(text=_("⬅ Back"), callback_data=ComposeCallback(a="topics"))
    _add_cancel(builder)
    sizes.append(2)
    builder.adjust(*sizes)
    text = _(
        "Choose the UMO (Order 400, annex 2) by its training direction (page {page} of "
        "{pages}). Its news reach university staff who picked that direction, within your "
        "scope."
    ).format(page=page + 1, pages=pages)
    return Screen(text, builder.as_markup())


def regions_in(scope: Scope, language: str | None = "kk") -> list[str]:
    """Regions the curator may narrow to: their own for a regional scope, all for everyone;
    a curator of listed organisations narrows by organisation instead. In ``language``'s
    order."""
    ordered = [r.code for r in regions_in_order(language)]
    if scope.kind == "region":
        return [code for code in ordered if code in scope.regions]
    return ordered if scope.kind == "everyone" else []


def orgs_in(scope: Scope) -> list[int]:
    return list(scope.organisation_ids) if scope.kind == "orgs" else []


def audience_screen(draft: dict[str, Any], scope: Scope, language: str) -> Screen:
    builder = InlineKeyboardBuilder()
    roles = set(draft.get("roles") or ())
    for role in ROLES:
        builder.button(
            text=f"{tick(role in roles)} {role_name(role)}",
            callback_data=ComposeCallback(a="role", v=role),
        )
    regions = draft.get("regions") or []
    sizes = [3]
    if regions_in(scope):
        builder.button(
            text=_("📍 Regions: {chosen}").format(
                chosen=len(regions) if regions else _("all in your scope")
            ),
            callback_data=ComposeCallback(a="regs", v="0"),
        )
        sizes.append(1)
    if orgs_in(scope):
        orgs = draft.get("orgs") or []
        builder.button(
            text=_("🏫 Organisations: {chosen}").format(
                chosen=len(orgs) if orgs else _("all in your scope")
            ),
            callback_data=ComposeCallback(a="orgs"),
        )
        sizes.append(1)
    categories = draft.get("categories") or []
    builder.button(
        text=_("🎓 Categories: {chosen}").format(
            chosen=len(categories) if categories else _("any")
        ),
        callback_data=ComposeCallback(a="cats"),
    )
    builder.button(
        text=_("📢 Post to a channel instead"), callback_data=ComposeCallback(a="chans")
    )
    builder.button(text=_("👁 Preview"), callback_data=ComposeCallback(a="preview"))
    _add_cancel(builder)
    sizes += [1, 1, 1, 1]
    builder.adjust(*sizes)
    parts = [
        _("Who receives it? Nothing ticked means everyone in your scope."),
        _("Topic: {topic}").format(topic=escape(topic(draft["topic"]).name(language))),
        _("Roles: {roles}").format(
            roles=", ".join(role_name(r) for r in ROLES if r in roles) or _("all")
        ),
        _("Regions: {regions}").format(
            regions=escape(", ".join(region(c).name(language) for c in regions)) or _("all")
        ),
    ]
    return Screen("\n".join(parts), builder.as_markup())


def regions_screen(draft: dict[str, Any], scope: Scope, page: int, language: str) -> Screen:
    page, pages, shown = page_of(regions_in(scope, language), page, REGION_PAGE_SIZE)
    chosen = set(draft.get("regions") or ())
    builder = InlineKeyboardBuilder()
    for code in shown:
        builder.button(
            text=f"{tick(code in chosen)} {region(code).name(language)}",
            callback_data=ComposeCallback(a="reg", v=code),
        )
    sizes = [1] * len(shown)
    arrows = add_page_arrows(builder, page, pages, lambda p: ComposeCallback(a="regs", v=str(p)))
    if arrows:
        sizes.append(arrows)
    _add_done(builder)
    sizes.append(1)
    builder.adjust(*sizes)
    text = _("Tick the regions (page {page} of {pages}); none ticked means all.").format(
        page=page + 1, pages=pages
    )
    return Screen(text, builder.as_markup())


def orgs_screen(draft: dict[str, Any], scope: Scope, names: dict[int, str]) -> Screen:
    chosen = {int(i) for i in draft.get("orgs") or ()}
    builder = InlineKeyboardBuilder()
    for org_id in orgs_in(scope):
        builder.button(
            text=short(f"{tick(org_id in chosen)} {names.get(org_id, f'#{org_id}')}"),
            callback_data=ComposeCallback(a="org", v=str(org_id)),
        )
    _add_done(builder)
    builder.adjust(1)
    text = _("Tick the organisations; none ticked means all of yours.")
    return Screen(text, builder.as_markup())


def categories_screen(draft: dict[str, Any], ruleset: Ruleset, language: str) -> Screen:
    chosen = set(draft.get("categories") or ())
    builder = InlineKeyboardBuilder()
    for info in ruleset.meta.categories:
        builder.button(
            text=short(f"{tick(info.id in chosen)} {info.name.get(language)}"),
            callback_data=ComposeCallback(a="cat", v=info.id),
        )
    _add_done(builder)
    builder.adjust(1)
    text = _(
        "Tick the current qualification categories to reach; none ticked means any category "
        "(and people who never told Sanat theirs)."
    )
    return Screen(text, builder.as_markup())


def unsubscribe_markup(topic_code: str, language: str) -> InlineKeyboardMarkup:
    """The very button recipients get (the same message key as the outbox payload's)."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=broadcasts.unsubscribe_label(topic_code, language),
        callback_data=UnsubscribeCallback(topic=callback_topic(topic_code)),
    )
    return builder.as_markup()


def summary_screen(count_line: str) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🚀 Send now"), callback_data=ComposeCallback(a="send"))
    builder.button(text=_("🕒 Schedule"), callback_data=ComposeCallback(a="sched"))
    builder.button(text=_("✏️ Edit audience"), callback_data=ComposeCallback(a="aud"))
    _add_cancel(builder)
    builder.adjust(2, 1, 1)
    return Screen(count_line, builder.as_markup())


def schedule_prompt(settings: Settings) -> Screen:
    example = (utcnow().astimezone(settings.tz) + dt.timedelta(days=1)).replace(hour=10, minute=0)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅ Back"), callback_data=ComposeCallback(a="preview"))
    _add_cancel(builder)
    builder.adjust(2)
    text = _(
        "Type when to send it, in Almaty time, as DD.MM.YYYY HH:MM — for example {example}."
    ).format(example=example.strftime(TIME_FORMAT))
    return Screen(text, builder.as_markup())
