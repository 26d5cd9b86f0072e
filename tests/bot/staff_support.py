"""Helpers for the staff flow tests: files sent to the bot, organisations, staff members."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import pathlib
from typing import BinaryIO

from aiogram import Dispatcher
from aiogram.types import Document, Downloadable, PhotoSize
from sqlmodel import select

from backend import staff
from backend.db import SessionPool
from backend.models import Membership, Organisation, RosterEntry
from bot.handlers.staff.keyboards import StaffOrgCallback
from testing.chat import Chat, started_chat
from testing.mocked_bot import MockedBot
from testing.updates import private_message_update

_ids = itertools.count(50_000)


class FileBot(MockedBot):
    """MockedBot that also serves the files people "sent", and records what was downloaded."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.downloaded: list[str] = []

    async def download(
        self,
        file: str | Downloadable,
        destination: BinaryIO | pathlib.Path | str | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        seek: bool = True,
    ) -> BinaryIO | None:
        file_id = file if isinstance(file, str) else file.file_id
        self.downloaded.append(file_id)
        return io.BytesIO(self.files[file_id])


async def send_document(
    chat: Chat, bot: FileBot, file_name: str, data: bytes, *, file_size: int | None = None
) -> str:
    """The person sends a file as a document; returns its file id."""
    file_id = f"file-{next(_ids)}"
    bot.files[file_id] = data
    document = Document(
        file_id=file_id,
        file_unique_id=f"u{file_id}",
        file_name=file_name,
        file_size=len(data) if file_size is None else file_size,
    )
    await chat.dispatcher.feed_update(bot, private_message_update(chat.user, document=document))
    return file_id


async def send_photo(chat: Chat, bot: FileBot) -> None:
    photo = PhotoSize(file_id="photo-1", file_unique_id="uphoto-1", width=10, height=10)
    await chat.dispatcher.feed_update(bot, private_message_update(chat.user, photo=[photo]))


async def make_organisation(session_pool: SessionPool, name: str = "Колледж №1") -> int:
    async with session_pool() as session:
        organisation = Organisation(name=name, kind="tvet")
        session.add(organisation)
        await session.commit()
        assert organisation.id is not None
        return organisation.id


async def invitation_token(
    session_pool: SessionPool,
    org_id: int,
    role: str = "head",
    *,
    ttl_days: int = 30,
    now: dt.datetime | None = None,
) -> str:
    async with session_pool() as session:
        created = await staff.create_invitation(
            session=session, organisation_id=org_id, role=role, ttl_days=ttl_days, now=now
        )
    return created.token


async def staff_chat(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, user_id: int, org_id: int
) -> Chat:
    """A head of the organisation, joined through an invitation link like anybody else."""
    chat = await started_chat(dispatcher, bot, user_id)
    await chat.send(f"/start {await invitation_token(session_pool, org_id)}")
    return chat


async def organisation_with_head(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, user_id: int
) -> tuple[int, Chat]:
    """A new organisation and its head's chat."""
    org_id = await make_organisation(session_pool)
    return org_id, await staff_chat(dispatcher, bot, session_pool, user_id, org_id)


async def upload_roster(
    chat: Chat, bot: FileBot, org_id: int, data: bytes, *, file_name: str = "roster.csv"
) -> None:
    """The head presses the organisation's upload button and sends the roster file."""
    await chat.press_data(StaffOrgCallback(o=org_id, a="up").pack())
    await send_document(chat, bot, file_name, data)


async def memberships(session_pool: SessionPool, org_id: int) -> list[Membership]:
    async with session_pool() as session:
        rows = await session.exec(select(Membership).where(Membership.organisation_id == org_id))
        return list(rows.all())


async def roster(session_pool: SessionPool, org_id: int) -> list[RosterEntry]:
    async with session_pool() as session:
        return await staff.roster_entries(session=session, organisation_id=org_id)


def documents(bot: MockedBot) -> list[tuple[str, bytes]]:
    """(file name, content) of every document the bot sent."""
    sent = []
    for request in bot.sent("SendDocument"):
        upload = request.document
        sent.append((str(upload.filename), bytes(upload.data)))
    return sent
