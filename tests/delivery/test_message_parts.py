"""Message keys beyond one line: "parts", parameters that are messages or data per language,
buttons and captions named by a key — and rows queued in the old format beside them."""

from __future__ import annotations

import base64

import pytest

from backend.delivery import DefaultRenderer, RenderError
from backend.delivery.render import MAX_TEXT
from backend.i18n import msg, msg_plural
from backend.models import Notification
from tests.rendering import button_labels, rendered, rendered_message


def test_parts_join_translated_lines_and_plain_ones() -> None:
    payload = {
        "parts": [msg("📋 Weekly digest: {org}", org="№5 мектеп"), "", "• Ким Анна"],
    }
    assert rendered(payload, "kk") == "📋 Апталық шолу: №5 мектеп\n\n• Ким Анна"
    assert rendered(payload, "ru") == "📋 Еженедельная сводка: №5 мектеп\n\n• Ким Анна"


def test_a_parameter_may_be_a_message_or_data_per_language() -> None:
    late = msg_plural("{days} day late", "{days} days late", 2, days=2)
    line = msg("• {name} — {date} ({when})", name="Ким", date="05.05.2026", when=late)
    assert rendered(line, "ru") == "• Ким — 05.05.2026 (просрочено на 2 дня)"
    assert rendered(line, "kk") == "• Ким — 05.05.2026 (2 күн өтті)"
    topic = msg("🔕 Unsubscribe from “{topic}”", topic={"kk": "Жаңалықтар", "ru": "Новости"})
    assert rendered(topic, "kk") == "🔕 «Жаңалықтар» тақырыбынан жазылымнан шығу"
    assert rendered(topic, "ru") == "🔕 Отписаться от темы «Новости»"


def test_nesting_is_bounded_and_parts_must_be_lines() -> None:
    deep: dict[str, object] = msg("Status: {status}", status="x")
    for _ in range(6):
        deep = msg("Status: {status}", status=deep)
    with pytest.raises(RenderError):
        rendered(deep, "ru")
    with pytest.raises(RenderError):
        rendered({"parts": []}, "ru")
    with pytest.raises(RenderError):
        rendered({"parts": [42]}, "ru")


def test_a_long_message_of_parts_is_cut_to_telegrams_limit() -> None:
    text = rendered({"parts": ["x" * 3000, "y" * 3000]}, "ru")
    assert len(text) == MAX_TEXT
    assert text.endswith("…")


def test_buttons_and_captions_by_message_key_beside_old_format_ones() -> None:
    payload = {
        "document": {"filename": "d.xlsx", "content_b64": base64.b64encode(b"PK").decode()},
        **msg("Weekly digest file: {org}", org="Школа"),
        "buttons": [
            [{**msg("⏸ Pause"), "callback_data": "bc:p:1"}],
            [{"text": {"kk": "Ескі", "ru": "Старая"}, "callback_data": "old"}],  # queued before
        ],
    }
    message = rendered_message(payload, "kk")
    assert message.kind == "upload"
    assert message.text == "Апталық шолу файлы: Школа"
    assert button_labels(payload, "kk") == ["⏸ Кідірту", "Ескі"]
    assert button_labels(payload, "ru") == ["⏸ Пауза", "Старая"]


def test_old_format_reminder_and_digest_rows_still_render() -> None:
    """Rows the producers queued before message keys, exactly as they were stored."""
    reminder = {
        "text": {
            "kk": "📚 Біліктілікті арттыру курсы\nКелесі курсты 10.05.2026 дейін өту керек",
            "ru": "📚 Повышение квалификации\nСледующий курс нужно пройти до 10.05.2026",
        },
        "buttons": [
            [
                {
                    "text": {"kk": "✅ Курсты өттім", "ru": "✅ Я прошёл(а) курс"},
                    "callback_data": "d",
                }
            ]
        ],
        "due": "2026-05-10",
        "milestone": "d30",
    }
    row = Notification(id=1, chat_id=1, kind="course_reminder", dedupe_key="k", payload=reminder)
    message = DefaultRenderer().render(row, "ru")
    assert message.text.startswith("📚 Повышение квалификации")
    assert button_labels(reminder, "kk") == ["✅ Курсты өттім"]
    caption = {
        "document": {"filename": "d.xlsx", "content_b64": base64.b64encode(b"PK").decode()},
        "text": {"kk": "Апталық шолу файлы: X", "ru": "Файл еженедельной сводки: X"},
    }
    assert rendered(caption, "ru") == "Файл еженедельной сводки: X"
