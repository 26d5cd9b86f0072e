"""The outbox payloads of this feature render with the delivery worker's renderer."""

from __future__ import annotations

from backend.channels import duty
from backend.channels import relay as submissions
from backend.delivery.render import DefaultRenderer
from backend.models import Notification, Organisation, Submission


def render(payload: dict[str, object], language: str) -> object:
    notification = Notification(chat_id=1, kind="test", dedupe_key="k", payload=payload)
    return DefaultRenderer().render(notification, language)


def test_duty_september_and_review_payloads_render_in_every_language() -> None:
    organisation = Organisation(id=12345678, name="Колледж", kind="tvet")
    submission = Submission(
        id=987654321,
        organisation_id=12345678,
        month="2026-09",
        source_chat_id=-100987654321,
        source_message_id=42,
    )
    links = {"channel": "https://t.me/zhastalapeducation", "chat": "https://t.me/zhastalapkz"}
    for language in ("kk", "ru", "en"):
        duty_message = render(duty.duty_payload(organisation), language)
        assert "Колледж" in duty_message.text  # type: ignore[attr-defined]
        markup = duty_message.reply_markup  # type: ignore[attr-defined]
        assert markup["inline_keyboard"][0][0]["callback_data"] == "duty:12345678"
        september = render(duty.september_payload(organisation, links), language)
        assert "https://t.me/zhastalapkz" in september.text  # type: ignore[attr-defined]
        review = render(submissions.review_payload(submission), language)
        assert review.kind == "copy"  # type: ignore[attr-defined]
        assert (review.from_chat_id, review.message_id) == (-100987654321, 42)  # type: ignore[attr-defined]
        assert [b["callback_data"] for b in review.reply_markup["inline_keyboard"][0]] == [  # type: ignore[attr-defined]
            "sub:r:987654321",
            "sub:x:987654321",
        ]
