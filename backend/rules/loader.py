"""Load and validate the rules data; fail fast naming the file and the path of a bad entry."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backend.rules.schema import CategoryId, Chapter, Position, RulesetMeta

DATA_DIR = Path(__file__).parent / "data"
# Earlier rulesets, one directory per version id (a copy of their YAML as it was deployed), so
# stored assessments can be re-evaluated under the version they were decided by.
VERSIONS_DIR = DATA_DIR / "versions"
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
META_FILE = "ruleset.yaml"
CHAPTER_GLOB = "chapter_*.yaml"


class RulesDataError(ValueError):
    """The rules data is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Ruleset:
    meta: RulesetMeta
    chapters: tuple[Chapter, ...]
    positions: dict[str, Position] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.meta.version

    def category_name(self, category: CategoryId, language: str) -> str:
        for info in self.meta.categories:
            if info.id == category:
                return info.name.get(language)
        return category


def _format_error(path: Path, error: ValidationError, document: Any) -> str:
    count = error.error_count()
    lines = [f"{path.name}: {count} invalid entr{'y' if count == 1 else 'ies'}"]
    for item in error.errors()[:10]:
        location = "/".join(_describe(document, item["loc"]))
        lines.append(f"  at {location}: {item['msg']}")
    return "\n".join(lines)


def _describe(document: Any, location: tuple[Any, ...]) -> list[str]:
    """Render a pydantic location, naming list entries by their ``id`` where they have one."""
    parts: list[str] = []
    node = document
    for key in location:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            ident = node.get("id") if isinstance(node, dict) else None
            parts.append(f"[{key}]" + (f"(id={ident})" if ident else ""))
        elif isinstance(node, dict) and key in node:
            node = node[key]
            parts.append(str(key))
        else:
            node = None
            parts.append(str(key))
    return parts


def _read_yaml(path: Path) -> Any:
    try:
        # libyaml's parser when present: the rules are ~1.5 MB of YAML, read at every start
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise RulesDataError(f"{path.name}: not valid YAML: {exc}") from exc


def load_chapter(path: Path) -> Chapter:
    document = _read_yaml(path)
    try:
        return Chapter.model_validate(document)
    except ValidationError as exc:
        raise RulesDataError(_format_error(path, exc, document)) from exc


def load_ruleset(data_dir: Path = DATA_DIR) -> Ruleset:
    """Read ``ruleset.yaml`` and every ``chapter_*.yaml`` of ``data_dir`` into one Ruleset."""
    meta_path = data_dir / META_FILE
    meta_document = _read_yaml(meta_path)
    try:
        meta = RulesetMeta.model_validate(meta_document)
    except ValidationError as exc:
        raise RulesDataError(_format_error(meta_path, exc, meta_document)) from exc
    chapters = tuple(load_chapter(path) for path in sorted(data_dir.glob(CHAPTER_GLOB)))
    positions: dict[str, Position] = {}
    for chapter in sorted(chapters, key=lambda c: c.chapter):
        for position in chapter.positions:
            if position.chapter != chapter.chapter:
                raise RulesDataError(
                    f"chapter {chapter.chapter}: position {position.id} is in the wrong chapter"
                )
            if position.id in positions:
                raise RulesDataError(
                    f"chapter {chapter.chapter}: position id {position.id} repeats"
                )
            positions[position.id] = position
    known = {info.id for info in meta.categories}
    for position in positions.values():
        if position.ladder:
            for category in position.ladder.categories:
                if category.id not in known:
                    raise RulesDataError(
                        f"{META_FILE}: category {category.id} used by {position.id} has no name"
                    )
    return Ruleset(meta=meta, chapters=chapters, positions=positions)


@functools.cache
def default_ruleset() -> Ruleset:
    """The packaged ruleset, loaded once per process."""
    return load_ruleset()


class UnknownRulesetError(RulesDataError):
    """No ruleset with that version id is packaged."""


def available_versions() -> list[str]:
    """Every loadable ruleset version id, oldest first, the current one last."""
    older = sorted(p.name for p in VERSIONS_DIR.iterdir() if (p / META_FILE).exists())
    current = default_ruleset().version
    return [v for v in older if v != current] + [current]


@functools.cache
def ruleset_version(version: str) -> Ruleset:
    """The ruleset with this version id: the current one, or a packaged earlier one."""
    current = default_ruleset()
    if version == current.version:
        return current
    directory = VERSIONS_DIR / version
    if "/" in version or ".." in version or not (directory / META_FILE).exists():
        known = ", ".join(available_versions())
        raise UnknownRulesetError(f"no ruleset {version!r} (known: {known})")
    ruleset = load_ruleset(directory)
    if ruleset.version != version:
        raise RulesDataError(f"{directory}: holds version {ruleset.version}, not {version}")
    return ruleset
