"""A small world for the console tests: two organisations, their staff, a teacher, an admin;
and signing in exactly as a person does (the bot's link, then the confirmation button)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from aiohttp import web
from aiohttp.test_utils import TestClient

from backend import staff
from backend.db import SessionPool
from backend.models import Membership, RosterEntry, User, UserRole
from backend.settings import Settings
from backend.web.console.context import COOKIE
from backend.web.console.signin import create_link

Client = TestClient[web.Request, web.Application]
TODAY = dt.date(2026, 5, 5)
NOW = dt.datetime(2026, 5, 5, 6, 0, tzinfo=dt.UTC)  # 11:00 in Almaty
XSS_NAME = "<script>alert(1)</script>"


@dataclass
class World:
    org_a: int
    org_b: int
    hr_a: int  # HR officer of A
    hr_b: int  # HR officer of B
    teacher: int  # a teacher of A, no staff role
    admin: int


async def _user(pool: SessionPool, telegram_id: int, name: str, language: str = "ru") -> int:
    async with pool() as session:
        user = User(telegram_id=telegram_id, full_name=name, language=language)
        session.add(user)
        await session.commit()
        assert user.id is not None
        return user.id


async def build_world(pool: SessionPool) -> World:
    async with pool() as session:
        a = await staff.create_organisation(session=session, name="Колледж «Алатау»", kind="tvet")
        b = await staff.create_organisation(session=session, name="Гимназия №7", kind="school")
    assert a.id is not None
    assert b.id is not None
    hr_a = await _user(pool, 9001, "Сапарова Айгүл")
    hr_b = await _user(pool, 9002, "Ким Анна")
    teacher = await _user(pool, 9003, "Омаров Даурен")
    admin = await _user(pool, 9004, "Админ")
    async with pool() as session:
        session.add(Membership(organisation_id=a.id, user_id=hr_a, role="hr"))
        session.add(Membership(organisation_id=b.id, user_id=hr_b, role="hr"))
        session.add(Membership(organisation_id=a.id, user_id=teacher, role="teacher"))
        session.add(UserRole(user_id=admin, role="admin"))
        session.add_all(
            [
                RosterEntry(
                    organisation_id=a.id,
                    full_name=name,
                    name_key=name.casefold(),
                    position_id=position,
                    last_course_on=last,
                    category="pedagog",
                )
                for name, position, last in (
                    ("Ахметова Сәуле", "2.4", dt.date(2022, 3, 1)),  # overdue
                    ("Бекова Гүлнар", "3.7", dt.date(2023, 6, 1)),  # due within 90 days
                    ("Жұмабек Нұрлан", "3.7", dt.date(2025, 1, 10)),  # valid
                    ("Дауренов Ерлан", "2.4", None),  # no date
                    (XSS_NAME, "3.7", dt.date(2024, 1, 1)),
                )
            ]
        )
        await session.commit()
    return World(a.id, b.id, hr_a, hr_b, teacher, admin)


async def link_for(
    pool: SessionPool, settings: Settings, user_id: int, now: dt.datetime | None = None
) -> str:
    """The path of a one-time link, as ``/web`` makes it."""
    async with pool() as session:
        url = await create_link(
            session=session, settings=settings, user_id=user_id, now=now or dt.datetime.now(dt.UTC)
        )
    match = re.search(r"/console/login/\S+$", url)
    assert match is not None, url
    return match.group(0)


async def sign_in(client: Client, pool: SessionPool, settings: Settings, user_id: int) -> str:
    """Open the link, press the button; the session cookie's value (the jar is then cleared so
    each request names whose session it carries)."""
    path = await link_for(pool, settings, user_id)
    assert (await client.get(path)).status == 200
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303, await response.text()
    token = response.cookies[COOKIE].value
    client.session.cookie_jar.clear()
    return token


def as_user(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


async def curator_with_audience(pool: SessionPool, region: str, people: int) -> int:
    """A curator reaching everyone, and ``people`` teachers in ``region`` (the "news" topic by
    default) plus one elsewhere; the curator's user id."""
    from backend import curators

    curator = await _user(pool, 9100, "Куратор")
    async with pool() as session:
        await curators.grant_curator(session=session, user_id=curator, scope=curators.Scope())
        session.add_all(
            [
                User(telegram_id=9200 + n, full_name=f"Мұғалім {n}", region=region)
                for n in range(people)
            ]
        )
        session.add(User(telegram_id=9300, full_name="Elsewhere", region="other"))
        await session.commit()
    return curator


async def running_broadcast(pool: SessionPool, curator: int, region: str) -> int:
    """A broadcast of ``curator`` to ``region`` (topic "news"), sent now: its id."""
    from backend.broadcasts import service as broadcasts
    from backend.broadcasts.audience import Audience

    async with pool() as session:
        draft = await broadcasts.create_draft(
            session=session,
            actor_id=curator,
            content={"ru": {"type": "text", "text": "Собрание завтра."}},
            topic="news",
            audience=Audience(regions=(region,)),
            created_via="api",
        )
        assert draft.id is not None
        await broadcasts.start(session=session, actor_id=curator, broadcast_id=draft.id)
        return draft.id
