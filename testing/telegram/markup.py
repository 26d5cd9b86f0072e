"""Text and keyboards as Telegram checks them: HTML entities, /commands, reply markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from testing.telegram.wire import Json, bad_request

MAX_CALLBACK_DATA_BYTES = 64
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_BUTTON_URL = re.compile(r"(https?|tg)://\S+")

# Tag → entity type, after https://core.telegram.org/bots/api#html-style.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as Telegram's clients do."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[Json]:
    """The bot_command entities a Telegram client attaches to a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def parse_html(source: str) -> tuple[str, list[Json]]:
    """Plain text and entities of an HTML-formatted text, or Telegram's "can't parse" error."""
    parser = _TelegramHTML(source)
    parser.feed(source)
    parser.close()
    return parser.result()


class _TelegramHTML(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]
        self._parts: list[str] = []
        self._position = 0  # in UTF-16 code units
        # Open tags: (tag, entity to emit when it closes or None, start offset).
        self._open: list[tuple[str, Json | None, int]] = []
        self._entities: list[Json] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((tag, self._entity_for(tag, dict(attrs)), self._position))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._error(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise self._error(f'Unexpected end tag "{tag}"')
        open_tag, entity, start = self._open.pop()
        if open_tag != tag:
            raise self._error(f'Unmatched end tag, expected "</{open_tag}>", found "</{tag}>"')
        length = self._position - start
        if entity is not None and length > 0:  # Telegram drops empty entities
            self._entities.append({**entity, "offset": start, "length": length})

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._position += utf16_len(data)

    def result(self) -> tuple[str, list[Json]]:
        if self._open:
            tag = self._open[-1][0]
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        entities = sorted(self._entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self._parts), entities

    def _entity_for(self, tag: str, attrs: dict[str, str | None]) -> Json | None:
        if tag == "code" and self._open and self._open[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            language = (attrs.get("class") or "").removeprefix("language-")
            pre = self._open[-1][1]
            if language and pre is not None:
                pre["language"] = language
            return None
        if tag in _SIMPLE_TAGS:
            return {"type": _SIMPLE_TAGS[tag]}
        if tag == "span" and attrs.get("class") == "tg-spoiler":
            return {"type": "spoiler"}
        if tag == "a":
            href = attrs.get("href")
            if not href:
                raise self._error('Tag "a" must have attribute "href"')
            return {"type": "text_link", "url": href}
        if tag == "blockquote":
            return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
        if tag == "tg-emoji":
            return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id") or ""}
        raise self._error(f'Unsupported start tag "{tag}"')

    def _error(self, what: str) -> Exception:
        line, column = self.getpos()
        offset = len(self._source[: self._line_starts[line - 1] + column].encode())
        return bad_request(f"can't parse entities: {what} at byte offset {offset}")


def validate_reply_markup(markup: Any) -> Json | None:
    """Check a reply_markup like Telegram does; None when there is none."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for button in _buttons(markup["inline_keyboard"]):
            _validate_inline_button(button)
    elif "keyboard" in markup:
        for button in _buttons(markup["keyboard"]):
            if not isinstance(button, (str, dict)) or not reply_button_text(button):
                raise bad_request("can't parse keyboard button: text is empty")
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def reply_button_text(button: Any) -> str:
    """A reply-keyboard button is a string or an object with a text."""
    if isinstance(button, dict):
        return str(button.get("text") or "")
    return str(button)


def _buttons(rows: Any) -> list[Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return [button for row in rows for button in row]


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text is empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not _BUTTON_URL.fullmatch(str(button["url"])):
            raise bad_request("BUTTON_URL_INVALID")
    elif len(button) == 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
