"""User-facing texts live in the ``locales/`` catalogs, not in per-language dicts in code.

A dict literal (or ``dict(...)`` call) whose "kk"/"ru"/"en" keys map to string literals is a
text per language written in code: it escapes the catalogs and their completeness test
(tests/test_i18n.py). Data with a language per field (rules YAML, region names) is loaded from
data files, so it never appears here as a literal.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE_KEYS = frozenset({"kk", "ru", "en"})
# Module → why its per-language literal is not a text to translate.
ALLOWED = {
    "bot/shared/menu.py": "each language's name in that language (endonyms), never translated",
}


def _is_code(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in LANGUAGE_KEYS


def _is_text(key: object, node: ast.expr | None) -> bool:
    """A string literal, a tuple/list of them, or a variable named after the language (the
    ``{"kk": kk, "ru": ru}`` of a helper taking one text per language)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List):
        codes = [item for item in node.elts if _is_code(item)]  # language codes are no text
        return bool(node.elts) and not codes and all(_is_text(None, i) for i in node.elts)
    return isinstance(node, ast.Name) and node.id == key


def per_language_literals(source: str) -> list[int]:
    """Line numbers of dict literals or dict() calls mapping a language code to a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            pairs = [
                (key.value, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant)
            ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id != "dict":
                continue
            pairs = [(keyword.arg, keyword.value) for keyword in node.keywords]
        else:
            continue
        if sum(1 for key, value in pairs if key in LANGUAGE_KEYS and _is_text(key, value)) >= 2:
            found.append(node.lineno)
    return found


def test_the_detector_finds_texts_per_language() -> None:
    assert per_language_literals('X = {"kk": "Сәлем", "ru": "Привет"}') == [1]
    assert per_language_literals('X = dict(kk=f"{a} күн", ru="дней")') == [1]
    assert per_language_literals('X = {"kk": data.kk, "ru": data.ru}') == []  # data, not text
    assert per_language_literals('X = {"kk": ("Аты", "Лауазымы"), "ru": ("ФИО", "Должность")}')
    assert per_language_literals("def f(kk, ru):\n    return {'kk': kk, 'ru': ru}") == [2]
    assert per_language_literals('X = {"kk": ("kk", "ru"), "ru": ("ru", "kk")}') == []


def test_no_per_language_texts_in_backend_or_bot() -> None:
    offenders = []
    for folder in ("backend", "bot"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED:
                continue
            for line in per_language_literals(path.read_text(encoding="utf-8")):
                offenders.append(f"{relative}:{line}")
    assert offenders == [], "move these texts into the locales/ catalogs (backend.i18n)"


def test_allowed_modules_exist_and_still_need_it() -> None:
    for relative in ALLOWED:
        assert per_language_literals((ROOT / relative).read_text(encoding="utf-8")), relative
