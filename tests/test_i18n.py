"""The kk and ru catalogs are complete, not fuzzy, and keep every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend.settings import Settings
from bot.factory import create_i18n

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("kk", "ru")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\(\w+\)[sd]")


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def template_ids() -> set[str]:
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", REQUIRED)
def test_catalog_is_complete(language: str) -> None:
    problems = []
    ids = set()
    for message in catalog(language):
        if not message.id:
            continue
        ids.add(message.id if isinstance(message.id, str) else message.id[0])
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        source = message.id if isinstance(message.id, str) else message.id[0]
        for string in strings:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(string)):
                problems.append(f"placeholders differ: {message.id!r}")
    assert problems == []
    assert template_ids() - ids == set(), (
        "catalog misses messages of the template; run make babel-update"
    )


def test_compiled_locales_are_available() -> None:
    i18n = create_i18n(Settings(_env_file=None))
    assert set(REQUIRED) <= set(i18n.available_locales)
