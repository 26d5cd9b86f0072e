"""Shared helpers of the staff tests: an organisation, users, roster files."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlmodel import col, select

from backend import staff
from backend.db import SessionPool
from backend.models import Notification, RosterEntry, User
from backend.rules.loader import Ruleset
from backend.settings import StaffSettings

TODAY = dt.date(2026, 5, 5)
HEADER_RU = "ФИО;Должность;Telegram;Дата последнего курса;Категория"


async def new_organisation(pool: SessionPool, name: str = "Гимназия №1") -> int:
    async with pool() as session:
        organisation = await staff.create_organisation(
            session=session, name=name, kind="school", region="almaty"
        )
        assert organisation.id is not None
        return organisation.id


async def new_user(pool: SessionPool, telegram_id: int, language: str = "en") -> int:
    async with pool() as session:
        user = User(telegram_id=telegram_id, language=language, full_name=f"User {telegram_id}")
        session.add(user)
        await session.commit()
        assert user.id is not None
        return user.id


async def roster(pool: SessionPool, organisation_id: int) -> dict[str, RosterEntry]:
    async with pool() as session:
        entries = await staff.roster_entries(session=session, organisation_id=organisation_id)
        return {entry.full_name: entry for entry in entries}


async def run_import(
    pool: SessionPool,
    organisation_id: int,
    ruleset: Ruleset,
    data: bytes,
    *,
    filename: str = "roster.csv",
    limits: StaffSettings | None = None,
) -> staff.ImportReport:
    """Import a roster file through the service, as of ``TODAY``."""
    async with pool() as session:
        return await staff.import_roster(
            session=session,
            organisation_id=organisation_id,
            filename=filename,
            data=data,
            limits=limits or StaffSettings(),
            ruleset=ruleset,
            today=TODAY,
        )


async def outbox(pool: SessionPool) -> list[Notification]:
    async with pool() as session:
        rows = await session.exec(select(Notification).order_by(col(Notification.id)))
        return list(rows.all())


def csv_bytes(lines: Sequence[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
