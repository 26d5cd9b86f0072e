"""An organisation's charts: valid-course share over 24 months, by position, categories.

Each chart is an SVG of its own (``<img>``), drawn off the event loop; the page puts a table of
the same figures beside it, so the numbers are readable without the picture.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from backend.rules.loader import Ruleset
from backend.staff.roster_stats import category_spread, valid_by_month, valid_by_position
from backend.web.console import charts
from backend.web.console.context import gettext_of, language_of, render, today
from backend.web.console.views_staff import ORG, organisation_of, roster_rows_of
from backend.web.keys import ruleset_key

routes = web.RouteTableDef()
# An SVG drawn by matplotlib styles itself inline; it is shown as an image, never as a page.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


async def _figures(request: web.Request) -> dict[str, Any]:
    organisation = await organisation_of(request)
    assert organisation.id is not None
    rows = await roster_rows_of(request, organisation.id)
    ruleset: Ruleset = request.config_dict[ruleset_key]
    lang = language_of(request)
    categories = [
        (ruleset.category_name(key, lang) if key else "—", count)  # type: ignore[arg-type]
        for key, count in category_spread(rows)
    ]
    return {
        "org": organisation,
        "months": valid_by_month(rows, today(request)),
        "positions": valid_by_position(rows),
        "categories": categories,
    }


@routes.get(ORG + "/charts")
async def charts_page(request: web.Request) -> web.Response:
    return render(request, "charts.html", await _figures(request))


@routes.get(ORG + r"/charts/{chart:months|positions|categories}.svg")
async def chart_svg(request: web.Request) -> web.Response:
    figures = await _figures(request)
    _ = gettext_of(request).gettext
    chart = request.match_info["chart"]
    if chart == "months":
        months = figures["months"]
        body = await asyncio.to_thread(
            charts.line_svg,
            [share.label for share in months],
            [share.percent for share in months],
            _("Share of staff with a valid course, last 24 months"),
        )
    elif chart == "positions":
        positions = figures["positions"]
        body = await asyncio.to_thread(
            charts.bars_svg,
            [share.label for share in positions],
            [share.percent for share in positions],
            _("Share with a valid course by position"),
            "%",
        )
    else:
        categories = figures["categories"]
        body = await asyncio.to_thread(
            charts.bars_svg,
            [name for name, _count in categories],
            [count for _name, count in categories],
            _("Teachers by category"),
            _("teachers"),
        )
    return web.Response(
        body=body,
        content_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY},
    )
