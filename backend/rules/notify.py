"""Telling teachers, once, that a new ruleset changed their stored result.

When a new ruleset is deployed, every user's latest assessment stored under an earlier version
is re-evaluated under both; where eligibility, ceiling or estimate changed, one outbox message
(in the recipient's language, with what changed, why, the clause, and a button to reopen the
result) is enqueued under the dedupe key ``rules:<version>:<user>:<assessment>`` — so running
the job again, after a restart or on several backends at once, sends nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.delivery.enqueue import enqueue, to_user
from backend.models import User
from backend.rules.citations import cite
from backend.rules.impact import ImpactRow, reevaluate, stored_assessments
from backend.rules.loader import RulesDataError, Ruleset, ruleset_version

log = logging.getLogger(__name__)

KIND = "rules_change"
LANGUAGES = ("kk", "ru", "en")
REOPEN_PREFIX = "ro"  # the bot's ReopenCallback: "ro:<assessment id>"
JOB_ID = "rules_change_notices"


def dedupe_key(version: str, user_id: int, assessment_id: int) -> str:
    return f"rules:{version}:{user_id}:{assessment_id}"


def notice_payload(row: ImpactRow, old: str, new: Ruleset) -> dict[str, Any]:
    """The message per language, and the button that reopens the result."""
    notice = new.meta.change_notice
    if notice is None:
        raise RulesDataError(f"ruleset {new.version} has no change_notice texts")
    position = new.positions[row.assessment.position_id]
    texts: dict[str, str] = {}
    for language in LANGUAGES:

        def name(category: str | None, language: str = language) -> str:
            if category is None:
                return notice.none.get(language)
            return new.category_name(category, language)  # type: ignore[arg-type]

        lines = [
            notice.heading.get(language).format(old=old, new=new.version),
            notice.position.get(language).format(position=position.name.get(language)),
        ]
        before, after = row.before, row.after
        if before.estimate != after.estimate:
            lines.append(
                "• "
                + notice.estimate.get(language).format(
                    before=name(before.estimate), after=name(after.estimate)
                )
            )
        if before.ceiling != after.ceiling:
            lines.append(
                "• "
                + notice.ceiling.get(language).format(
                    before=name(before.ceiling), after=name(after.ceiling)
                )
            )
        if before.eligible != after.eligible:
            lines.append(
                "• "
                + notice.eligibility.get(language).format(
                    before=notice.eligible[before.eligible].get(language),  # type: ignore[index]
                    after=notice.eligible[after.eligible].get(language),  # type: ignore[index]
                )
            )
        for change in row.reasons:
            where = "; ".join(cite(new, [change.citation.model_dump()], language))
            lines.append(
                notice.reason.get(language).format(
                    what=change.what.get(language), why=change.why.get(language), where=where
                )
            )
        texts[language] = "\n".join(lines)
    button = {
        "text": notice.button.model_dump(exclude_none=True),
        "callback_data": f"{REOPEN_PREFIX}:{row.assessment.id}",
    }
    return {"text": texts, "buttons": [[button]]}


async def enqueue_rule_change_notices(session: AsyncSession, current: Ruleset) -> int:
    """Enqueue a notice for each user whose latest stored result changed; returns how many
    were new (already queued ones are skipped by their dedupe key). The caller commits."""
    rows = []
    for stored in await stored_assessments(session, latest_per_user=True):
        if stored.ruleset_version == current.version or stored.user_id is None:
            continue
        try:
            old = ruleset_version(stored.ruleset_version)
        except RulesDataError:
            log.warning("stored assessment under an unknown ruleset", extra={"id": stored.id})
            continue
        row = reevaluate(old, current, stored)
        if row is None or not row.changed:
            continue
        user = await session.get(User, stored.user_id)
        if user is None or user.unreachable_at is not None:
            continue
        key = dedupe_key(current.version, stored.user_id, stored.id)
        rows.append(to_user(user, KIND, key, notice_payload(row, old.version, current)))
    return await enqueue(session, rows)


async def notify_rule_changes(pool: SessionPool, current: Ruleset) -> int:
    async with pool() as session:
        count = await enqueue_rule_change_notices(session, current)
        await session.commit()
    if count:
        log.info("rule change notices queued", extra={"count": count, "ruleset": current.version})
    return count


def add_rules_change_job(scheduler: Any, pool: SessionPool, current: Ruleset) -> None:
    """Run once at start (a new ruleset is deployed with a new backend), then daily for
    assessments a not yet restarted backend stored under the old version meanwhile."""
    import datetime as dt

    async def job() -> None:
        await notify_rule_changes(pool, current)

    scheduler.add_job(
        job,
        "interval",
        hours=24,
        id=JOB_ID,
        replace_existing=True,
        next_run_time=dt.datetime.now(dt.UTC),
    )
