"""Invitation links: joining with a role, expiry, revocation, use limits, roster linking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from backend import staff
from backend.db import SessionPool
from backend.models import Invitation, Membership, UserRole
from backend.rules.loader import Ruleset
from tests.staff.helpers import (
    HEADER_RU,
    csv_bytes,
    new_organisation,
    new_user,
    roster,
    run_import,
)

NOW = dt.datetime(2026, 5, 5, 6, 0, tzinfo=dt.UTC)


async def invite(
    pool: SessionPool, organisation_id: int, role: str = "head", **options: object
) -> staff.CreatedInvitation:
    async with pool() as session:
        return await staff.create_invitation(
            session=session,
            organisation_id=organisation_id,
            role=role,
            ttl_days=30,
            now=NOW,
            **options,  # type: ignore[arg-type]
        )


async def redeem(
    pool: SessionPool, token: str, user_id: int, now: dt.datetime = NOW
) -> staff.Joined:
    async with pool() as session:
        return await staff.redeem_invitation(
            session=session, token=token, user_id=user_id, now=now
        )


async def roster_link(
    pool: SessionPool, organisation_id: int, roster_entry_id: int, created_by: int
) -> staff.CreatedInvitation:
    async with pool() as session:
        return await staff.roster_invitation(
            session=session,
            organisation_id=organisation_id,
            roster_entry_id=roster_entry_id,
            created_by=created_by,
        )


async def organisation_with_roster(pool: SessionPool, ruleset: Ruleset, full_name: str) -> int:
    """A new organisation whose roster is one teacher, ``full_name``."""
    organisation_id = await new_organisation(pool)
    data = csv_bytes([HEADER_RU, f"{full_name};2.4;;01.01.2024;педагог"])
    await run_import(pool, organisation_id, ruleset, data)
    return organisation_id


async def test_a_staff_link_makes_a_member_with_the_staff_role(session_pool: SessionPool) -> None:
    organisation_id = await new_organisation(session_pool)
    user_id = await new_user(session_pool, 501)
    created = await invite(session_pool, organisation_id, "methodist")
    assert created.link_path == f"start={created.token}"
    assert len(created.token) >= 32
    assert len(created.token) <= 64
    assert created.invitation.token_hash != created.token  # only the hash is stored
    joined = await redeem(session_pool, created.token, user_id)
    assert (joined.organisation.id, joined.role, joined.roster_entry) == (
        organisation_id,
        "methodist",
        None,
    )
    again = await redeem(session_pool, created.token, user_id)  # harmless
    assert again.role == "methodist"
    async with session_pool() as session:
        memberships = await staff.memberships_of(session=session, user_id=user_id)
        assert [(org.id, role) for org, role in memberships] == [(organisation_id, "methodist")]
        assert await session.get(UserRole, (user_id, "staff")) is not None
        invitation = await session.get(Invitation, created.invitation.id)
        assert invitation is not None
        assert invitation.uses == 1
        organisation = await staff.staff_organisation(
            session=session, user_id=user_id, organisation_id=organisation_id
        )
        assert organisation.id == organisation_id


async def test_unknown_expired_revoked_and_used_up(session_pool: SessionPool) -> None:
    organisation_id = await new_organisation(session_pool)
    first, second = await new_user(session_pool, 601), await new_user(session_pool, 602)
    with pytest.raises(staff.InvitationError) as raised:
        await redeem(session_pool, "no-such-token", first)
    assert raised.value.code == "unknown"

    created = await invite(session_pool, organisation_id)
    with pytest.raises(staff.InvitationError) as raised:
        await redeem(session_pool, created.token, first, NOW + dt.timedelta(days=30, seconds=1))
    assert raised.value.code == "expired"

    single = await invite(session_pool, organisation_id, "hr", max_uses=1)
    await redeem(session_pool, single.token, first)
    with pytest.raises(staff.InvitationError) as raised:
        await redeem(session_pool, single.token, second)
    assert raised.value.code == "used_up"

    async with session_pool() as session:
        assert await staff.revoke_invitation(
            session=session, invitation_id=created.invitation.id or 0
        )
        assert not await staff.revoke_invitation(session=session, invitation_id=10_000)
        listed = await staff.list_invitations(session=session, organisation_id=organisation_id)
        assert [item.id for item in listed] == [single.invitation.id, created.invitation.id]
    with pytest.raises(staff.InvitationError) as raised:
        await redeem(session_pool, created.token, second)
    assert raised.value.code == "revoked"
    async with session_pool() as session:
        members = (await session.exec(select(Membership.user_id))).all()
        assert list(members) == [first]
        with pytest.raises(staff.NotStaffError):
            await staff.staff_organisation(
                session=session, user_id=second, organisation_id=organisation_id
            )


async def test_roster_link_joins_the_teacher_to_their_entry(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await organisation_with_roster(session_pool, ruleset, "Ким Анна")
    entry = (await roster(session_pool, organisation_id))["Ким Анна"]
    head = await new_user(session_pool, 700)
    teacher, stranger = await new_user(session_pool, 701), await new_user(session_pool, 702)
    created = await roster_link(session_pool, organisation_id, entry.id or 0, head)
    other = await new_organisation(session_pool, "Другая школа")
    async with session_pool() as session:
        with pytest.raises(LookupError):
            await staff.roster_invitation(
                session=session,
                organisation_id=other,
                roster_entry_id=entry.id or 0,
                created_by=None,
            )
    joined = await redeem(session_pool, created.token, teacher)
    assert joined.role == "teacher"
    assert joined.roster_entry is not None
    assert joined.roster_entry.id == entry.id
    assert (await redeem(session_pool, created.token, teacher)).role == "teacher"  # harmless
    with pytest.raises(staff.InvitationError) as raised:
        await redeem(session_pool, created.token, stranger)
    assert raised.value.code == "used_up"
    assert (await roster(session_pool, organisation_id))["Ким Анна"].user_id == teacher
    async with session_pool() as session:
        with pytest.raises(staff.NotStaffError):  # a teacher is a member, not staff
            await staff.staff_organisation(
                session=session, user_id=teacher, organisation_id=organisation_id
            )


async def test_bad_role_and_max_uses_are_refused(session_pool: SessionPool) -> None:
    organisation_id = await new_organisation(session_pool)
    with pytest.raises(ValueError, match="unknown role"):
        await invite(session_pool, organisation_id, "director")
    with pytest.raises(ValueError, match="max_uses"):
        await invite(session_pool, organisation_id, "head", max_uses=0)
    with pytest.raises(staff.OrganisationNotFoundError):
        await invite(session_pool, organisation_id + 100)
    async with session_pool() as session:
        assert (await session.exec(select(Invitation))).all() == []


async def test_a_head_who_opens_their_own_roster_link_stays_head(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await organisation_with_roster(session_pool, ruleset, "Директор Школы")
    head = await new_user(session_pool, 710)
    await redeem(session_pool, (await invite(session_pool, organisation_id, "head")).token, head)
    entry = (await roster(session_pool, organisation_id))["Директор Школы"]
    created = await roster_link(session_pool, organisation_id, entry.id or 0, head)
    joined = await redeem(session_pool, created.token, head)
    assert joined.role == "head"
    assert (await roster(session_pool, organisation_id))["Директор Школы"].user_id == head
    async with session_pool() as session:
        assert await session.get(UserRole, (head, "teacher")) is not None  # teacher broadcasts
        assert await session.get(UserRole, (head, "staff")) is not None


async def roles_of(pool: SessionPool, user_id: int) -> set[str]:
    async with pool() as session:
        rows = await session.exec(select(UserRole.role).where(UserRole.user_id == user_id))
        return set(rows.all())


async def test_one_student_link_serves_a_whole_group_and_never_demotes_staff(
    session_pool: SessionPool,
) -> None:
    org = await new_organisation(session_pool)
    link = await invite(session_pool, org, role=staff.STUDENT_ROLE)
    students = [await new_user(session_pool, 6100 + n) for n in range(3)]
    for student in students:
        joined = await redeem(session_pool, link.token, student)
        assert joined.role == "student"
        assert await roles_of(session_pool, student) == {"student"}  # never "staff"
    head = await new_user(session_pool, 6199)
    await redeem(session_pool, (await invite(session_pool, org)).token, head)
    joined = await redeem(session_pool, link.token, head)  # the head tries the students' link
    assert joined.role == "head"
    assert await roles_of(session_pool, head) == {"staff"}
    async with session_pool() as session:
        roles = (
            await session.exec(select(Membership.role).where(Membership.organisation_id == org))
        ).all()
        uses = (
            await session.exec(select(Invitation.uses).where(Invitation.id == link.invitation.id))
        ).one()
    assert sorted(roles) == ["head", "student", "student", "student"]
    assert uses == 3  # the head's visit used nothing up
