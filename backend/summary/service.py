"""The summary of a stored assessment: who may have it, and its PDF (built off the loop)."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Assessment, User
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.summary.content import build_summary
from backend.summary.pdf import render_pdf

DEFAULT_LANGUAGE = "ru"


async def assessment_for(
    *, session: AsyncSession, assessment_id: int, user_id: int | None, admin: bool
) -> Assessment | None:
    """The assessment if the requester may read it (its owner, or an admin); else None, so a
    stranger cannot tell a foreign assessment from a missing one."""
    assessment = await session.get(Assessment, assessment_id)
    if assessment is None:
        return None
    if admin or (user_id is not None and assessment.user_id == user_id):
        return assessment
    return None


async def owner_language(*, session: AsyncSession, assessment: Assessment) -> str:
    if assessment.user_id is None:
        return DEFAULT_LANGUAGE
    owner = await session.get(User, assessment.user_id)
    return (owner.language if owner else None) or DEFAULT_LANGUAGE


def summary_pdf(
    assessment: Assessment, *, ruleset: Ruleset, settings: Settings, lang: str
) -> bytes:
    summary = build_summary(
        outcome=assessment.outcome,
        answers=assessment.answers,
        ruleset=ruleset,
        lang=lang,
        locales_dir=settings.locales_dir,
        made_at=assessment.created_at,
        tz=settings.tz,
    )
    return render_pdf(summary)


async def summary_pdf_async(
    assessment: Assessment, *, ruleset: Ruleset, settings: Settings, lang: str
) -> bytes:
    """``summary_pdf`` in a worker thread: laying out pages must not stall the event loop."""
    return await asyncio.to_thread(
        summary_pdf, assessment, ruleset=ruleset, settings=settings, lang=lang
    )


def filename(assessment: Assessment) -> str:
    return f"sanat-assessment-{assessment.id}.pdf"
