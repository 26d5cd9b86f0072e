"""Monthly material: /duty, "Send material", review by the covering curators, relay, reject."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher
from sqlmodel import select

from backend.channels import relay as service
from backend.db import SessionPool
from backend.models import Organisation, Submission
from backend.models.types import utcnow
from backend.settings import Settings
from testing.chat import Chat
from testing.mocked_bot import MockedBot
from tests.channels.helpers import (
    make_channel,
    make_org,
    make_user,
    outbox,
    photo_update,
)
from tests.rendering import rendered


async def submissions(pool: SessionPool) -> list[Submission]:
    async with pool() as session:
        return list((await session.exec(select(Submission).order_by(Submission.id))).all())  # type: ignore[arg-type]


@pytest.fixture
async def college(session_pool: SessionPool) -> dict[str, int]:
    """A college in Abai region, its responsible employee, curators in and out of scope."""
    ids = {
        "employee": await make_user(session_pool, 6001, name="Әлия"),
        "region_curator": await make_user(
            session_pool, 6101, roles=("curator",), scope={"kind": "region", "regions": ["abai"]}
        ),
        "other_curator": await make_user(
            session_pool, 6103, roles=("curator",), scope={"kind": "region", "regions": ["aktobe"]}
        ),
        "admin": await make_user(session_pool, 6104, roles=("admin",)),
    }
    ids["org"] = await make_org(
        session_pool,
        "Семей колледжі",
        "abai",
        members={ids["employee"]: "teacher"},
        duty_day=5,
        responsible=ids["employee"],
    )
    ids["org_curator"] = await make_user(
        session_pool,
        6102,
        roles=("curator",),
        scope={"kind": "orgs", "organisation_ids": [ids["org"]]},
    )
    other_org = await make_org(session_pool, "Ақтөбе колледжі", "aktobe")
    ids["channel"] = await make_channel(session_pool, -5001, organisation_id=ids["org"])
    ids["other_channel"] = await make_channel(session_pool, -5002, organisation_id=other_org)
    return ids


async def submit_photo(dispatcher: Dispatcher, bot: MockedBot, org: int, message_id: int) -> None:
    employee = Chat(dispatcher, bot, user_id=6001)
    await employee.press_data(f"duty:{org}")
    await dispatcher.feed_update(bot, photo_update(6001, message_id))


async def test_material_goes_to_the_covering_curators_and_is_relayed_once(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, college: dict[str, int]
) -> None:
    await submit_photo(dispatcher, bot, college["org"], 77)
    [submission] = await submissions(session_pool)
    assert (submission.organisation_id, submission.user_id) == (
        college["org"],
        college["employee"],
    )
    assert (submission.source_chat_id, submission.source_message_id) == (6001, 77)
    assert submission.month == utcnow().astimezone(Settings().tz).strftime("%Y-%m")
    assert "sent to the curator" in bot.texts()[-1]
    rows = await outbox(session_pool, service.REVIEW_KIND)
    assert {r.user_id for r in rows} == {
        college["region_curator"],
        college["org_curator"],
    }  # not the other region's curator, not the admin
    copies = [r for r in rows if "message" in r.payload]
    assert len(copies) == 2
    for row in copies:
        assert row.payload["message"]["ru"] == {
            "type": "copy",
            "from_chat_id": 6001,
            "message_id": 77,
        }
        assert [b["callback_data"] for b in row.payload["buttons"][0]] == [
            f"sub:r:{submission.id}",
            f"sub:x:{submission.id}",
        ]
    notes = [r for r in rows if "message_key" in r.payload]
    assert all("Семей колледжі" in rendered(r.payload, "ru") for r in notes)
    assert all("Проверьте" in rendered(r.payload, "ru") for r in notes)
    assert all("Қарап шығыңыз" in rendered(r.payload, "kk") for r in notes)
    assert len(notes) == 2

    # a curator of another region presses the forwarded button: nothing happens
    outsider = Chat(dispatcher, bot, user_id=6103)
    await outsider.press_data(f"sub:r:{submission.id}")
    await outsider.press_data(f"subc:{submission.id}:{college['other_channel']}")
    assert bot.sent("AnswerCallbackQuery")[-1].show_alert is True
    assert await outbox(session_pool, service.RELAY_KIND) == []

    curator = Chat(dispatcher, bot, user_id=6101)
    await curator.press_data(f"sub:r:{submission.id}")
    assert [data for _t, data in curator.buttons()] == [
        f"subc:{submission.id}:{college['channel']}"
    ]  # only the channels this curator may post to
    # a forged channel outside the scope is refused
    await curator.press_data(f"subc:{submission.id}:{college['other_channel']}")
    assert bot.sent("AnswerCallbackQuery")[-1].show_alert is True
    await curator.press("Channel -5001")
    await curator.press_data(f"subc:{submission.id}:{college['channel']}")  # a second tap
    [relayed] = await outbox(session_pool, service.RELAY_KIND)
    assert (relayed.chat_id, relayed.user_id) == (-5001, None)
    assert relayed.dedupe_key == f"relay:{submission.id}:{college['channel']}"
    assert relayed.payload == {
        "message": {
            "kk": {"type": "copy", "from_chat_id": 6001, "message_id": 77},
            "ru": {"type": "copy", "from_chat_id": 6001, "message_id": 77},
        }
    }
    [stored] = await submissions(session_pool)
    assert (stored.status, stored.reviewed_by) == ("relayed", college["region_curator"])
    [thanks] = await outbox(session_pool, service.RESULT_KIND)
    assert thanks.user_id == college["employee"]

    # relayed material cannot be rejected afterwards
    await curator.press_data(f"sub:x:{submission.id}")
    assert (await submissions(session_pool))[0].status == "relayed"


async def test_reject_tells_the_employee_and_a_month_without_material_is_reminded(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    settings: Settings,
    college: dict[str, int],
) -> None:
    await submit_photo(dispatcher, bot, college["org"], 78)
    [submission] = await submissions(session_pool)
    await Chat(dispatcher, bot, user_id=6103).press_data(f"sub:x:{submission.id}")  # out of scope
    assert (await submissions(session_pool))[0].status == "pending"
    await Chat(dispatcher, bot, user_id=6102).press_data(f"sub:x:{submission.id}")
    [stored] = await submissions(session_pool)
    assert (stored.status, stored.reviewed_by) == ("rejected", college["org_curator"])
    [told] = await outbox(session_pool, service.RESULT_KIND)
    assert (told.user_id, told.dedupe_key) == (college["employee"], f"subrej:{submission.id}")
    # rejected material can be neither relayed now
    await Chat(dispatcher, bot, user_id=6102).press_data(
        f"subc:{submission.id}:{college['channel']}"
    )
    assert await outbox(session_pool, service.RELAY_KIND) == []


async def test_strangers_cannot_submit_and_forged_ids_change_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, college: dict[str, int]
) -> None:
    await make_user(session_pool, 6201)
    stranger = Chat(dispatcher, bot, user_id=6201)
    await stranger.press_data(f"duty:{college['org']}")
    assert bot.sent("AnswerCallbackQuery")[-1].show_alert is True
    await dispatcher.feed_update(bot, photo_update(6201, 90))
    await stranger.press_data("duty:999999")
    await stranger.press_data("sub:r:999999")
    await stranger.press_data("sub:x:1")
    assert await submissions(session_pool) == []
    assert await outbox(session_pool) == []


async def test_the_same_message_is_one_submission(
    session_pool: SessionPool, settings: Settings, college: dict[str, int]
) -> None:
    message = {
        "organisation_id": college["org"],
        "user_id": college["employee"],
        "source_chat_id": 6001,
        "source_message_id": 5,
    }
    async with session_pool() as session:
        await service.submit(session, **message, now=utcnow(), settings=settings)
        with pytest.raises(service.DuplicateSubmissionError):
            await service.submit(session, **message, now=utcnow(), settings=settings)
    assert len(await submissions(session_pool)) == 1


async def test_head_sets_the_duty_day_and_the_responsible_employee(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    head = await make_user(session_pool, 6301, name="Head")
    teacher = await make_user(session_pool, 6302, name="Teacher")
    org = await make_org(session_pool, "Колледж", members={head: "head", teacher: "teacher"})
    other = await make_org(session_pool, "Other")

    await Chat(dispatcher, bot, user_id=6302).send("/duty")
    assert "head or HR" in bot.texts()[-1]

    chat = Chat(dispatcher, bot, user_id=6301)
    await chat.send("/duty")
    assert "Duty day: not set" in chat.last_screen().text
    await chat.press("Set the day")
    await chat.send("31")
    assert "from 1 to 28" in chat.last_text()
    await chat.send("12")
    await chat.press("I am responsible")
    async with session_pool() as session:
        stored = await session.get(Organisation, org)
        assert stored is not None
        assert (stored.duty_day, stored.responsible_user_id) == (12, head)
    await chat.press("Choose another member")
    assert f"dset:pick:{org}:{teacher}" in [data for _t, data in chat.buttons()]
    await chat.press_data(f"dset:pick:{org}:{teacher}")
    # forged: another organisation, or someone who is not on the staff
    await chat.press_data(f"dset:pick:{other}:{head}")
    await chat.press_data(f"dset:pick:{org}:999999")
    async with session_pool() as session:
        stored = await session.get(Organisation, org)
        unchanged = await session.get(Organisation, other)
        assert stored is not None
        assert unchanged is not None
        assert (stored.duty_day, stored.responsible_user_id) == (12, teacher)
        assert unchanged.responsible_user_id is None
    assert "Duty day: 12" in chat.last_screen().text


async def test_a_command_while_waiting_for_material_is_not_material(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, college: dict[str, int]
) -> None:
    employee = Chat(dispatcher, bot, user_id=6001)
    await employee.press_data(f"duty:{college['org']}")
    await employee.send("/whatever")
    assert await submissions(session_pool) == []
    await employee.send("Колледжде спорт күні өтті")
    [submission] = await submissions(session_pool)
    assert submission.organisation_id == college["org"]
