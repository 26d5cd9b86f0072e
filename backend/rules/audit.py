"""The audit of the rules data against Order 338, and the lint that keeps it honest.

``python -m backend.rules.audit SEED`` pairs every sentence of each position's
"Біліктілікке қойылатын талаптар" clause (with its seed lines) with the conditions encoded from
it (route, threshold, fact, reading) and writes ``data/AUDIT.md``; ``--quotes`` first fills each
experience condition's ``quote`` (the clause segment it was read from) in the chapter files.

``lint`` needs no seed: it checks each condition against its own quote (see the data README).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from backend.rules.clauses import packaged_clauses
from backend.rules.loader import DATA_DIR, Ruleset, load_ruleset
from backend.rules.schema import Condition, ExperienceRequirement, Note, Position, Threshold

AUDIT_FILE = DATA_DIR / "AUDIT.md"
PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
URBAN, RURAL = "қалалық", "ауылдық"
MORE_THAN = "астам"
ANY_ORGANISATION = re.compile(r"білім\s+беру\s+ұйым(дар)?ында(ғы)?")
# Words that narrow "білім беру ұйымдарындағы" to one kind of organisation when they precede it.
QUALIFIERS = (
    "кәсіптік",
    "дейінгі",
    "кейінгі",
    "қосымша",
    "арнайы",
    "мектепке",
    "интернат",
    "жетім",
    "тиісті",
    "осы",
    "бейіні",
)
CATEGORY_WORDS = {
    "pedagog_moderator": "модератор",
    "pedagog_expert": "сарапшы",
    "pedagog_researcher": "зерттеуші",
    "pedagog_master": "шебер",
}
NUMBER = re.compile(r"(?<![\d,.])(\d+(?:[.,]\d+)?)(?![\d])")
NUMBER_WORDS = {"бір": 1.0, "екі": 2.0, "үш": 3.0, "төрт": 4.0, "бес": 5.0}


@dataclass(frozen=True)
class Encoded:
    """One experience condition with where it sits: a route or a category threshold."""

    position: str
    where: str  # "route <id>" or "<category> <level>"
    experience: ExperienceRequirement
    locality: frozenset[str]  # the localities the enclosing condition requires
    lines: tuple[int, int]


def _localities(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    found: set[str] = {condition.locality} if condition.locality else set()
    for child in (condition.all_of or []) + (condition.any_of or []):
        found |= _localities(child)
    return found


def _experiences(condition: Condition) -> Iterator[ExperienceRequirement]:
    if condition.experience is not None:
        yield condition.experience
    for child in (condition.all_of or []) + (condition.any_of or []):
        yield from _experiences(child)


def _all_leaves(condition: Condition) -> Iterator[Condition]:
    for child in (condition.all_of or []) + (condition.any_of or []):
        yield from _all_leaves(child)
    if condition.all_of is None and condition.any_of is None:
        yield condition


def _threshold_localities(threshold: Threshold) -> set[str]:
    return _localities(threshold.when) | _localities(threshold.requires)


def encoded(position: Position) -> Iterator[Encoded]:
    for route in position.entry.routes:
        localities = frozenset(_localities(route.condition))
        for experience in _experiences(route.condition):
            yield Encoded(
                position.id, f"route {route.id}", experience, localities, route.citation.lines
            )
    for category in position.ladder.categories if position.ladder else ():
        for threshold in category.thresholds:
            lines = category.threshold_citation.lines if category.threshold_citation else (0, 0)
            yield Encoded(
                position.id,
                f"{category.id} {threshold.level}",
                threshold.experience,
                frozenset(_threshold_localities(threshold)),
                lines,
            )


def _years_in(text: str) -> list[float]:
    found = [float(n.replace(",", ".")) for n in NUMBER.findall(text)]
    lowered = text.lower()
    found += [v for word, v in NUMBER_WORDS.items() if re.search(rf"\b{word}\s+жыл", lowered)]
    return found


def kind_phrase(text: str, quote: str, *, last: bool = False) -> str:
    """The words of ``quote`` that name the kind of experience measured by ``text``: from the
    previous "немесе"/";"/":" up to the years (``last``: the text's last occurrence, as for
    category thresholds, which the clauses list after the entry requirements)."""
    lowered = " ".join(quote.lower().split())
    needle = " ".join(text.lower().split())
    at = lowered.rfind(needle) if last else lowered.find(needle)
    before = lowered[: max(at, 0)]
    end = len(before)
    while True:  # "…жұмыс өтілі: педагог-модератор үшін кемінде 2 жыл": go back to the kind
        cut = max(before.rfind(mark, 0, end) for mark in (";", ":", " немесе ", " және (немесе) "))
        phrase = before[cut + 1 :] if cut >= 0 else before
        if cut < 0 or "өтіл" in phrase or "лауазым" in phrase:
            return phrase + lowered[max(at, 0) : max(at, 0) + len(needle)]
        end = cut


def _any_organisation(text: str, quote: str, *, last: bool) -> bool:
    """ "білім беру ұйымдарындағы (жұмыс өтілі)" unqualified: no narrowing word right before
    it (after the last comma) and not "… педагогикалық жұмыс өтілі" after it."""
    phrase = kind_phrase(text, quote, last=last)
    for match in ANY_ORGANISATION.finditer(phrase):
        before = re.split(r"[,;:(]", phrase[: match.start()])[-1].split()[-2:]
        after = phrase[match.end() :].split()[:1]
        if any(word.startswith(QUALIFIERS) for word in before):
            continue
        if after and after[0].startswith(("педагогикалық", "басшы", "басқару")):
            continue
        return True
    return False


def lint_item(item: Encoded) -> list[str]:
    """What is wrong with one encoded experience condition, judged by its own quote."""
    experience = item.experience
    where = f"{item.position} {item.where}"
    quote = experience.quote
    if not quote:
        return [f"{where}: condition without a quote"]
    problems = []
    text = experience.text.lower()
    if URBAN in text and "urban" not in item.locality:
        problems.append(f"{where}: «{experience.text}» is urban but the condition has no locality")
    if RURAL in text and "rural" not in item.locality:
        problems.append(f"{where}: «{experience.text}» is rural but the condition has no locality")
    if MORE_THAN in text and experience.op != "gt":
        problems.append(f"{where}: «{experience.text}» says «астам» but the operator is not gt")
    numbers = _years_in(experience.text)
    if numbers and experience.years not in numbers:
        problems.append(
            f"{where}: «{experience.text}» names {numbers} years, encoded {experience.years:g}"
        )
    if experience.text.lower() not in " ".join(quote.lower().split()):
        problems.append(f"{where}: text «{experience.text}» is not in its quote")
    last = not item.where.startswith("route ")
    if _any_organisation(experience.text, quote, last=last) and experience.kind != "education_org":
        problems.append(
            f"{where}: «білім беру ұйымдарындағы» with no qualifier but kind {experience.kind}"
        )
    return problems


def lint(ruleset: Ruleset) -> list[str]:
    problems: list[str] = []
    for position in ruleset.positions.values():
        for item in encoded(position):
            problems += lint_item(item)
    return problems


# ---------------------------------------------------------------------------------------------
# Reading the seed: clause sentences with their lines, and the segment each condition came from.


def _segments(seed: list[str], first: int, last: int) -> list[tuple[int, int, str]]:
    """The ";"-separated segments of seed lines first..last, each with its own line range."""
    segments: list[tuple[int, int, str]] = []
    start, words = first, list[str]()
    for number in range(first, last + 1):
        line = seed[number - 1]
        if not line.strip() or PAGE_NUMBER.match(line):
            continue
        for piece in re.split(r"(?<=;)", line):
            if not piece.strip():
                continue
            if not words:
                start = number
            words.append(piece.strip())
            if piece.rstrip().endswith(";"):
                segments.append((start, number, " ".join(words)))
                words = []
    if words:
        segments.append((start, last, " ".join(words)))
    return segments


def quote_for(seed: list[str], item: Encoded) -> str | None:
    """The segment of the cited lines holding the condition's own words."""
    first, last = item.lines
    if first < 1:
        return None
    needle = " ".join(item.experience.text.lower().split())
    candidates = _segments(seed, max(1, first - 1), min(len(seed), last + 1))
    matching = [
        (start, " ".join(segment.split()))
        for start, _, segment in candidates
        if needle in " ".join(segment.lower().split())
    ]
    inside = [segment for start, segment in matching if start >= first]  # not the line before
    found = inside or [segment for _, segment in matching]
    if not found:
        return None
    category = item.where.split()[0]
    if category in CATEGORY_WORDS:  # a threshold: the segment naming its category, else the last
        named = [s for s in found if CATEGORY_WORDS[category] in s.lower()]
        return (named or found)[-1 if not named else 0]
    return found[0]


def audit_markdown(ruleset: Ruleset, seed: list[str]) -> str:
    clauses = packaged_clauses()
    out = [
        "# Audit of the rules data against Order No. 338",
        "",
        f"Generated by `python -m backend.rules.audit SEED` for ruleset {ruleset.version} from "
        f"`{ruleset.meta.act.seed_file}`. For every position: each segment of the "
        "«Біліктілікке қойылатын талаптар» clause with its seed lines, then how it is encoded "
        "(entry routes, category thresholds, facts) and every reading Sanat chose (notes, "
        "assumptions) with its quote. The connective readings are in README.md.",
        "",
    ]
    for position in ruleset.positions.values():
        out += _position_audit(position, clauses.get(position.id, {}), seed)
    return "\n".join(out) + "\n"


def _position_audit(position: Position, clause: Mapping[str, Any], seed: list[str]) -> list[str]:
    out = [f"## {position.id} {position.name.kk}", "", f"_{position.name.ru}_", ""]
    requirement = clause.get("requirements")
    if isinstance(requirement, dict):
        first, last = requirement["lines"]
        out += [f"Clause {position.clauses.requirements}, lines {first}–{last}:", ""]
        out += [f"- L{a}–{b}: «{text}»" for a, b, text in _segments(seed, first, last)]
        out.append("")
    out += _encoding_lines(position)
    readings, undetermined = _readings(position)
    if readings:
        out += ["", "Readings (notes and assumptions):", ""]
        out += [
            f"- {note.kind}, L{note.lines[0]}–{note.lines[1]}: «{note.quote or ''}» — "
            f"{note.explanation.ru}"
            for note in readings
        ]
    if undetermined:
        out += ["", "Undetermined (the text cannot be read with confidence):", ""]
        out += [f"- {reason}" for reason in undetermined]
    problems = [p for item in encoded(position) for p in lint_item(item)]
    if problems:
        out += ["", "Lint:", ""] + [f"- {problem}" for problem in problems]
    out.append("")
    return out


def _encoding_lines(position: Position) -> list[str]:
    from backend.rules.render import condition_text

    out = ["Encoded entry routes (any one suffices):", ""]
    for route in position.entry.routes:
        variant = f" [variant {route.variant}]" if route.variant else ""
        lines = route.citation.lines
        out.append(
            f"- `{route.id}`{variant} (L{lines[0]}–{lines[1]}): {condition_text(route.condition)}"
        )
    if position.ladder:
        out += ["", "Encoded categories:", ""]
        for category in position.ladder.categories:
            if category.status != "rule":
                quote = category.note.quote if category.note else ""
                out.append(f"- {category.id}: **{category.status}** — «{quote}»")
                continue
            parts = []
            for threshold in category.thresholds:
                e = threshold.experience
                when = f" when {condition_text(threshold.when)}" if threshold.when else ""
                sign = ">" if e.op == "gt" else ">="
                parts.append(f"{threshold.level}: {e.kind} {sign} {e.years:g}{when} «{e.text}»")
            items = category.competencies.items if category.competencies else []
            optional = [item.id for item in items if item.optional]
            extra = f"; optional items (бар болса): {', '.join(optional)}" if optional else ""
            out.append(f"- {category.id}: {'; '.join(parts) or 'no experience required'}{extra}")
    return out


def _readings(position: Position) -> tuple[list[Note], list[str]]:
    """Every note and assumption of a position, and the quotes of its undetermined points."""
    readings = [*position.notes]
    undetermined: list[str] = []
    conditions = [route.condition for route in position.entry.routes]
    for category in position.ladder.categories if position.ladder else ():
        if category.note is not None:
            readings.append(category.note)
        for threshold in category.thresholds:
            conditions += [c for c in (threshold.requires, threshold.when) if c is not None]
    for leaf in (leaf for condition in conditions for leaf in _all_leaves(condition)):
        if leaf.assumption is not None and leaf.assumption not in readings:
            readings.append(leaf.assumption)
        if leaf.undetermined is not None and leaf.undetermined not in undetermined:
            undetermined.append(leaf.undetermined)
    return readings, undetermined


def fill_quotes(data_dir: Path, seed: list[str]) -> int:
    """Insert ``quote:`` after each experience ``text:`` lacking one (line edits keep layout)."""
    ruleset = load_ruleset(data_dir)
    quotes: dict[tuple[str, str, str], str] = {}
    for position in ruleset.positions.values():
        for item in encoded(position):
            quote = quote_for(seed, item)
            if quote and not item.experience.quote:
                quotes[(position.id, item.where, item.experience.text)] = quote
    filled = 0
    for path in sorted(data_dir.glob("chapter_*.yaml")):
        filled += _fill_file(path, ruleset, quotes)
    return filled


def _fill_file(path: Path, ruleset: Ruleset, quotes: dict[tuple[str, str, str], str]) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    document = yaml.compose(path.read_text(encoding="utf-8"))
    inserts: list[tuple[int, str]] = []
    edits: list[tuple[int, int, str]] = []
    assert document is not None
    positions = _mapping_get(document, "positions")
    for position_node in positions.value if positions is not None else []:
        id_node = _mapping_get(position_node, "id")
        position_id = id_node.value if id_node is not None else ""
        for node, where in _experience_nodes(position_node):
            text_node = _mapping_get(node, "text")
            if text_node is None or _mapping_get(node, "quote") is not None:
                continue
            quote = quotes.get((position_id, where, text_node.value))
            if quote is None:
                continue
            key_line = text_node.start_mark.line
            indent = lines[key_line][: len(lines[key_line]) - len(lines[key_line].lstrip())]
            if node.flow_style:
                # {kind: …, text: "…"} on one line: the quote goes before its closing brace
                end = node.end_mark
                if node.start_mark.line == end.line:
                    edits.append((end.line, end.column - 1, f", quote: {_scalar(quote)}"))
                continue
            inserts.append((text_node.end_mark.line + 1, f"{indent}quote: {_scalar(quote)}"))
    for line_index, column, text in sorted(edits, reverse=True):
        line = lines[line_index]
        lines[line_index] = line[:column] + text + line[column:]
    for line_index, text in sorted(inserts, reverse=True):
        lines.insert(line_index, text)
    if inserts or edits:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(inserts) + len(edits)


def _scalar(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if key_node.value == key:
            found: yaml.Node = value
            return found
    return None


def _experience_nodes(position: yaml.Node) -> Iterator[tuple[yaml.MappingNode, str]]:
    entry = _mapping_get(position, "entry")
    routes = _mapping_get(entry, "routes") if entry is not None else None
    for route in routes.value if routes is not None else []:
        condition = _mapping_get(route, "condition")
        for node in _walk_experience(condition):
            yield node, f"route {_mapping_get(route, 'id').value}"  # type: ignore[union-attr]
    ladder = _mapping_get(position, "ladder")
    categories = _mapping_get(ladder, "categories") if ladder is not None else None
    for category in categories.value if isinstance(categories, yaml.SequenceNode) else []:
        thresholds = _mapping_get(category, "thresholds")
        for threshold in thresholds.value if thresholds is not None else []:
            experience = _mapping_get(threshold, "experience")
            level = _mapping_get(threshold, "level")
            if isinstance(experience, yaml.MappingNode) and level is not None:
                category_id = _mapping_get(category, "id").value  # type: ignore[union-attr]
                yield experience, f"{category_id} {level.value}"


def _walk_experience(node: yaml.Node | None) -> Iterator[yaml.MappingNode]:
    if node is None:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "experience" and isinstance(value, yaml.MappingNode):
                yield value
            else:
                yield from _walk_experience(value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _walk_experience(child)


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print("usage: python -m backend.rules.audit [--quotes] SEED_FILE", file=sys.stderr)
        return 2
    seed = Path(args[0]).read_text(encoding="utf-8").splitlines()
    if "--quotes" in argv:
        print(f"filled {fill_quotes(DATA_DIR, seed)} quotes")
    ruleset = load_ruleset()
    AUDIT_FILE.write_text(audit_markdown(ruleset, seed), encoding="utf-8")
    problems = lint(ruleset)
    print(f"wrote {AUDIT_FILE}; {len(problems)} lint problems")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
