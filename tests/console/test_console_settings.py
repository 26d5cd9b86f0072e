"""The console's newer pages over a real HTTP server and database (SQLite, PostgreSQL): an
organisation's digest settings, pausing, resuming and cancelling a broadcast and its reach, the
admins' calendar, and who may open or post to each of them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from backend import curators
from backend.db import SessionPool
from backend.directory import REGIONS
from backend.models import Broadcast, CalendarEvent, Notification, OrganisationDigest
from backend.settings import Settings
from backend.staff.digest_schedule import schedule_of
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import curator as new_curator
from tests.broadcasts.helpers import deliver
from tests.console.support import (
    Client,
    World,
    as_user,
    csrf_of,
    curator_with_audience,
    running_broadcast,
    sign_in,
)


async def _page(client: Client, path: str, token: str) -> str:
    response = await client.get(path, headers=as_user(token))
    assert response.status == 200, path
    return await response.text()


async def test_staff_set_their_organisations_digest_with_errors_shown_in_the_page(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    hr = await sign_in(client, session_pool, settings, world.hr_a)
    path = f"/console/orgs/{world.org_a}/digest"
    page = await _page(client, path, hr)
    assert 'id="defaults"' in page  # no own schedule yet: the defaults, Monday 09:00
    assert '<option value="0" selected>Понедельник</option>' in page
    assert 'value="09:00"' in page
    csrf = csrf_of(page)

    no_token = await client.post(path, headers=as_user(hr), data={"weekday": "2", "time": "10:00"})
    assert no_token.status == 403
    night = await client.post(
        path, headers=as_user(hr), data={"csrf": csrf, "weekday": "2", "time": "22:30"}
    )
    assert night.status == 422
    shown = await night.text()
    assert "Выберите время с 09:00 до 20:00" in shown
    assert 'id="problem-time"' in shown
    assert 'value="22:30"' in shown  # the form as it was sent
    for weekday, time in (("9", "10:00"), ("x", "10:00"), ("2", "25:61"), ("2", "")):
        bad = await client.post(
            path, headers=as_user(hr), data={"csrf": csrf, "weekday": weekday, "time": time}
        )
        assert bad.status == 422, (weekday, time)
    async with session_pool() as session:
        assert (await session.exec(select(OrganisationDigest))).all() == []

    saved = await client.post(
        path,
        headers=as_user(hr),
        data={"csrf": csrf, "enabled": "on", "weekday": "2", "time": "14:30"},
        allow_redirects=False,
    )
    assert saved.status == 303
    assert saved.headers["Location"] == path + "?saved=1"
    again = await _page(client, path + "?saved=1", hr)
    assert 'id="saved"' in again
    assert '<option value="2" selected>Среда</option>' in again
    assert 'value="14:30"' in again
    off = await client.post(
        path, headers=as_user(hr), data={"csrf": csrf, "weekday": "4", "time": "11:00"}
    )
    assert off.status == 200  # after the redirect
    async with session_pool() as session:
        schedule = await schedule_of(
            session=session, organisation_id=world.org_a, defaults=settings.staff
        )
        row = await session.get(OrganisationDigest, world.org_a)
    assert (schedule.enabled, schedule.weekday, schedule.at) == (False, 4, dt.time(11, 0))
    assert row is not None
    assert row.updated_by == world.hr_a


async def test_a_curator_pauses_resumes_and_cancels_a_broadcast_and_sees_its_reach(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    region = REGIONS[0].code
    curator = await curator_with_audience(session_pool, region, people=3)
    broadcast_id = await running_broadcast(session_pool, curator, region)
    token = await sign_in(client, session_pool, settings, curator)
    path = f"/console/broadcasts/{broadcast_id}"
    page = await _page(client, path, token)
    assert 'id="pause"' in page
    assert 'id="resume"' not in page
    csrf = csrf_of(page)

    assert (await client.post(path + "/pause", headers=as_user(token), data={})).status == 403
    paused = await client.post(path + "/pause", headers=as_user(token), data={"csrf": csrf})
    paused_page = await paused.text()
    assert 'data-status="paused"' in paused_page
    assert 'id="resume"' in paused_page
    assert 'http-equiv="refresh"' not in paused_page  # nothing moves while paused
    async with session_pool() as session:
        rows = (
            await session.exec(
                select(Notification.status).where(Notification.broadcast_id == broadcast_id)
            )
        ).all()
    assert sorted(rows) == ["held"] * 3
    again = await client.post(path + "/pause", headers=as_user(token), data={"csrf": csrf})
    assert "больше нельзя" in await again.text()  # the wrong state, said in the page

    resumed = await client.post(path + "/resume", headers=as_user(token), data={"csrf": csrf})
    assert 'data-status="running"' in await resumed.text()
    now = dt.datetime.now(dt.UTC)
    assert await deliver(session_pool, MockedBot(), now) == 3

    reach = await client.get(path + "/reach.svg", headers=as_user(token))
    assert reach.status == 200
    assert reach.content_type == "image/svg+xml"
    svg = await reach.text()
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    shown = await _page(client, path, token)
    assert 'id="reach-table"' in shown
    assert "<td>без организации</td><td>3</td><td>0</td><td>0</td>" in shown

    cancelled = await client.post(path + "/cancel", headers=as_user(token), data={"csrf": csrf})
    assert 'data-status="cancelled"' in await cancelled.text()
    async with session_pool() as session:
        status = (await session.get(Broadcast, broadcast_id)).status  # type: ignore[union-attr]
    assert status == "cancelled"
    final = await _page(client, path, token)
    assert 'id="actions"' not in final


async def test_the_admin_calendar_lists_adds_and_removes_events_with_errors_shown(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    admin = await sign_in(client, session_pool, settings, world.admin)
    path = "/console/admin/calendars"
    async with session_pool() as session:
        seeded = (await session.exec(select(CalendarEvent))).all()  # migration 0009's windows
    page = await _page(client, path, admin)
    assert seeded
    assert all(event.starts_on.strftime("%d.%m.%Y") in page for event in seeded)
    csrf = csrf_of(page)
    event = {
        "csrf": csrf,
        "kind": "testing",
        "starts_on": "2027-04-01",
        "ends_on": "2027-04-30",
        "legal_basis": "Приказ № 83 <b>",
        "audience": "",
    }
    backwards = await client.post(
        path, headers=as_user(admin), data={**event, "ends_on": "2027-03-01"}
    )
    assert backwards.status == 422
    assert "Окончание раньше начала" in await backwards.text()
    for bad in ({"legal_basis": " "}, {"kind": "party"}, {"audience": "zoo"}, {"starts_on": "x"}):
        refused = await client.post(path, headers=as_user(admin), data={**event, **bad})
        assert refused.status == 422, bad
        assert 'class="problem"' in await refused.text()

    added = await client.post(path, headers=as_user(admin), data=event, allow_redirects=False)
    assert added.status == 303
    listed = await _page(client, added.headers["Location"], admin)
    assert 'id="added"' in listed
    assert "01.04.2027" in listed
    assert "Приказ № 83 &lt;b&gt;" in listed
    duplicate = await client.post(path, headers=as_user(admin), data=event)
    assert duplicate.status == 409
    async with session_pool() as session:
        events = (await session.exec(select(CalendarEvent))).all()
    record = next(item for item in events if item.legal_basis.startswith("Приказ № 83"))
    removed = await client.post(
        f"{path}/{record.id}/remove", headers=as_user(admin), data={"csrf": csrf}
    )
    assert removed.status == 200
    after = await removed.text()
    assert 'id="removed"' in after
    assert "01.04.2027" not in after
    missing = await client.post(f"{path}/{record.id}/remove", headers=as_user(admin), data=event)
    assert missing.status == 404


async def test_the_new_pages_check_roles_and_scopes_and_reveal_nothing(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    region = REGIONS[0].code
    owner = await curator_with_audience(session_pool, region, people=1)
    broadcast_id = await running_broadcast(session_pool, owner, region)
    other_curator = await new_curator(session_pool, curators.Scope())
    async with session_pool() as session:
        session.add(
            CalendarEvent(
                kind="testing",
                starts_on=dt.date(2027, 4, 1),
                ends_on=dt.date(2027, 4, 30),
                legal_basis="Приказ № 83",
            )
        )
        await session.commit()
        events = (await session.exec(select(CalendarEvent))).all()
    event = next(item for item in events if item.legal_basis == "Приказ № 83")
    tokens = {
        name: await sign_in(client, session_pool, settings, user)
        for name, user in (
            ("hr_b", world.hr_b),
            ("teacher", world.teacher),
            ("other_curator", other_curator),
            ("hr_a", world.hr_a),
        )
    }
    csrf = {
        name: csrf_of(await _page(client, "/console", token)) for name, token in tokens.items()
    }
    org = f"/console/orgs/{world.org_a}"
    one = f"/console/broadcasts/{broadcast_id}"
    # (path, method, who may not) — and a missing twin that must look the same
    cases = [
        (f"{org}/digest", "GET", ("hr_b", "teacher", "other_curator")),
        (f"{org}/digest", "POST", ("hr_b", "teacher", "other_curator")),
        (one + "/pause", "POST", ("hr_b", "teacher", "other_curator", "hr_a")),
        (one + "/resume", "POST", ("hr_b", "teacher", "other_curator", "hr_a")),
        (one + "/cancel", "POST", ("hr_b", "teacher", "other_curator", "hr_a")),
        (one + "/reach.svg", "GET", ("hr_b", "teacher", "other_curator", "hr_a")),
        ("/console/admin/calendars", "GET", ("hr_b", "teacher", "other_curator", "hr_a")),
        ("/console/admin/calendars", "POST", ("hr_b", "teacher", "other_curator", "hr_a")),
        (
            f"/console/admin/calendars/{event.id}/remove",
            "POST",
            ("hr_b", "teacher", "other_curator", "hr_a"),
        ),
    ]
    missing_pages = {
        f"{org}/digest": "/console/orgs/999999/digest",
        one + "/pause": "/console/broadcasts/999999/pause",
        one + "/resume": "/console/broadcasts/999999/resume",
        one + "/cancel": "/console/broadcasts/999999/cancel",
        one + "/reach.svg": "/console/broadcasts/999999/reach.svg",
    }
    for path, method, refused in cases:
        anonymous = await client.request(method, path, allow_redirects=False)
        assert anonymous.status in (303, 403), path  # to the sign-in page, or no CSRF
        for name in refused:
            data = {"csrf": csrf[name], "weekday": "1", "time": "10:00", "kind": "other"}
            response = await client.request(method, path, headers=as_user(tokens[name]), data=data)
            assert response.status == 404, (path, method, name)
            body = await response.text()
            assert "Алатау" not in body
            assert "Приказ" not in body
            twin = missing_pages.get(path)
            if twin is not None:
                other = await client.request(
                    method, twin, headers=as_user(tokens[name]), data=data
                )
                assert other.status == 404
                assert body.replace(path, "P") == (await other.text()).replace(twin, "P")
    async with session_pool() as session:
        assert (await session.get(Broadcast, broadcast_id)).status == "running"  # type: ignore[union-attr]
        assert (await session.exec(select(OrganisationDigest))).all() == []
        assert len((await session.exec(select(CalendarEvent))).all()) == len(events)
