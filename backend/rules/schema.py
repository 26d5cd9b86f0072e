"""Pydantic schema of the rules data (``backend/rules/data/*.yaml``).

The schema is strict (``extra="forbid"``) so a typo in a YAML key fails at load time with the
file and path of the bad entry instead of silently changing a legal outcome.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Education = Literal["postgraduate", "higher", "tvet", "general_secondary"]
QualificationLevel = Literal["high", "medium"]
ExperienceKind = Literal[
    "pedagogical",
    "specialty",
    "position",
    "organisation_type",
    "education_org",  # any education organisation: "білім беру ұйымдарындағы жұмыс өтілі"
    "management",
    "civil_service",
    "industry",
]
Locality = Literal["urban", "rural"]
CentreLevel = Literal["regional", "district"]
Comparator = Literal["ge", "gt"]
CategoryId = Literal[
    "pedagog",
    "pedagog_moderator",
    "pedagog_expert",
    "pedagog_researcher",
    "pedagog_master",
    "deputy_3",
    "deputy_2",
    "deputy_1",
    "manager_organizer",
    "manager_manager",
    "manager_leader",
    "legacy_second",
    "legacy_first",
    "legacy_highest",
]
OrgKind = Literal[
    "preschool",
    "school",
    "orphan_care",
    "special",
    "additional_children",
    "additional_adults",
    "methodological_centre",
    "tvet",
]
StaffKind = Literal["head", "deputy", "teacher", "methodist", "other"]
LadderKind = Literal["teacher", "manager"]
NoteKind = Literal["silent", "garbled", "contradiction", "interpretation"]

TEACHER_LADDER: tuple[CategoryId, ...] = (
    "pedagog",
    "pedagog_moderator",
    "pedagog_expert",
    "pedagog_researcher",
    "pedagog_master",
)
HEAD_LADDER: tuple[CategoryId, ...] = ("manager_organizer", "manager_manager", "manager_leader")
DEPUTY_LADDER: tuple[CategoryId, ...] = ("deputy_3", "deputy_2", "deputy_1")

Slug = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
LineRange = tuple[int, int]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(Strict):
    kk: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    en: str | None = None

    def get(self, language: str) -> str:
        value = getattr(self, language, None)
        return (
            value if isinstance(value, str) and value else self.ru if language != "kk" else self.kk
        )


class Citation(Strict):
    """Where a rule comes from: act, chapter, paragraph, clause and the seed file's lines."""

    act: str = "338"
    file: str | None = None  # defaults to the ruleset's seed file
    chapter: int | None = None
    paragraph: str | None = None
    clause: str | None = None
    section: str | None = None  # for guidance documents without numbered clauses
    lines: LineRange

    @field_validator("lines")
    @classmethod
    def _ordered(cls, value: LineRange) -> LineRange:
        if value[0] < 1 or value[1] < value[0]:
            raise ValueError("lines must be [first, last] with 1 <= first <= last")
        return value


class Note(Strict):
    """Where the text is silent, garbled, contradictory, or needs an interpretation."""

    kind: NoteKind
    quote: str | None = None  # verbatim kk text of the seed
    lines: LineRange
    explanation: LocalizedText


class ExperienceRequirement(Strict):
    kind: ExperienceKind
    op: Comparator
    years: float = Field(ge=0, le=60)
    recent: bool = False  # "оның ішінде соңғы N жыл": the last N years
    text: str = Field(min_length=1)  # the text's own words, e.g. "кемінде 5 жыл"
    # the clause segment it was read from (kind of experience, locality…), verbatim kk;
    # the lint test checks the encoding against it
    quote: str | None = None


class Condition(Strict):
    """Exactly one key per node; ``all_of``/``any_of`` combine nodes."""

    all_of: list[Condition] | None = None
    any_of: list[Condition] | None = None
    education: list[Education] | None = None
    education_pedagogical: bool | None = None
    pedagogical_retraining: bool | None = None
    qualification_level: QualificationLevel | None = None
    experience: ExperienceRequirement | None = None
    locality: Locality | None = None
    centre_level: CentreLevel | None = None
    holds_category: list[CategoryId] | None = None
    academic_degree: bool | None = None
    # "запастағы офицер" (a reserve officer), for the routes of the initial military training
    reserve_officer: bool | None = None
    # higher education in the "«Арнайы білім» бағыты" (special education) direction
    special_education_direction: bool | None = None
    # "кәсіптік қайта даярлығы бар": professional (not necessarily pedagogical) retraining
    professional_retraining: bool | None = None
    # An interpretation Sanat had to choose: always met, listed under the outcome's
    # assumptions (kk/ru with the quote) whenever the branch holding it decides the outcome.
    assumption: Note | None = None
    # The text is garbled here: the condition can be neither met nor failed (quote why).
    undetermined: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        present = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(f"a condition has exactly one key, found {present or 'none'}")
        if (self.all_of is not None and not self.all_of) or (
            self.any_of is not None and not self.any_of
        ):
            raise ValueError("all_of/any_of must not be empty")
        return self


class Variant(Strict):
    """A sub-case of a position that the text gives its own requirements (e.g. small schools)."""

    id: Slug
    name: LocalizedText


class Route(Strict):
    """One alternative way to meet a position's qualification requirements."""

    id: Slug
    label: LocalizedText
    variant: Slug | None = None  # applies only to this variant; None = the general case
    condition: Condition
    citation: Citation
    # Indices into the position's notes: readings (or conditions Sanat cannot check) this
    # route rests on, listed under the outcome's assumptions whenever the route decides it.
    readings: list[int] = []


class Entry(Strict):
    variants: list[Variant] = []
    routes: list[Route] = Field(min_length=1)

    @model_validator(mode="after")
    def _routes_ok(self) -> Entry:
        ids = [route.id for route in self.routes]
        if len(ids) != len(set(ids)):
            raise ValueError(f"route ids repeat: {ids}")
        known = {variant.id for variant in self.variants}
        for route in self.routes:
            if route.variant is not None and route.variant not in known:
                raise ValueError(f"route {route.id} names unknown variant {route.variant}")
        return self


class Threshold(Strict):
    level: QualificationLevel
    experience: ExperienceRequirement
    requires: Condition | None = None  # anything else the text asks with the years (a degree)
    # When the threshold applies at all (e.g. ``locality: rural``, ``centre_level: district``):
    # a threshold whose ``when`` fails is no option for this person, not a failed one.
    when: Condition | None = None


class CompetencyItem(Strict):
    id: Annotated[str, Field(pattern=r"^c[0-9]{1,2}$")]
    kk: str = Field(min_length=1)  # verbatim
    ru: str = Field(min_length=1)
    # "(бар болса)" ("if any"): may be answered "not applicable", which does not count against
    optional: bool = False


class CompetencySet(Strict):
    inherits: CategoryId | None = None  # "«педагог» біліктілігіне қойылатын талаптарға, сондай-ақ"
    items: list[CompetencyItem] = Field(min_length=1)
    citation: Citation

    @model_validator(mode="after")
    def _unique(self) -> CompetencySet:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError(f"competency item ids repeat: {ids}")
        return self


class LadderCategory(Strict):
    id: CategoryId
    # rule: thresholds decide; not_provided: the text gives no route; undetermined: garbled text
    status: Literal["rule", "not_provided", "undetermined"] = "rule"
    thresholds: list[Threshold] = []  # empty with status "rule": no experience required
    threshold_citation: Citation | None = None
    competencies: CompetencySet | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LadderCategory:
        if self.status != "rule" and self.note is None:
            raise ValueError(f"category {self.id} with status {self.status} needs a note")
        if self.status == "rule" and self.thresholds and self.threshold_citation is None:
            raise ValueError(f"category {self.id} has thresholds but no threshold_citation")
        return self


class Ladder(Strict):
    kind: LadderKind
    categories: list[LadderCategory] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Ladder:
        order = TEACHER_LADDER if self.kind == "teacher" else HEAD_LADDER + DEPUTY_LADDER
        ids = [category.id for category in self.categories]
        positions = [order.index(i) if i in order else -1 for i in ids]
        if -1 in positions or positions != sorted(positions) or len(set(ids)) != len(ids):
            raise ValueError(f"ladder {self.kind} categories out of order or foreign: {ids}")
        for category in self.categories:
            inherited = category.competencies.inherits if category.competencies else None
            if inherited is not None and inherited not in ids[: ids.index(category.id)]:
                raise ValueError(f"{category.id} inherits {inherited}, not below it in the ladder")
        return self


class Heading(Strict):
    line: int = Field(ge=1)
    text: str = Field(
        min_length=1
    )  # the heading marker as the seed writes it, e.g. "1- Параграф."


class Clauses(Strict):
    duties: str
    knowledge: str
    requirements: str
    competencies: str | None = None


class Position(Strict):
    id: Annotated[str, Field(pattern=r"^(10|[2-9])\.[0-9]{1,2}[ab]?$")]
    chapter: int = Field(ge=2, le=10)
    paragraph: str  # "4", "14a"; "" where the text numbers none (chapter 9)
    heading: Heading
    lines: LineRange
    name: LocalizedText
    org_kind: OrgKind
    staff_kind: StaffKind
    clauses: Clauses
    entry: Entry
    ladder: Ladder | None = None
    notes: list[Note] = []
    aliases: list[str] = []  # extra search words (kk or ru)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _id_matches(self) -> Position:
        chapter, paragraph = self.id.split(".")
        if int(chapter) != self.chapter:
            raise ValueError(f"id {self.id} does not match chapter {self.chapter}")
        expected = "1" if self.chapter == 9 else self.paragraph
        if paragraph != expected:
            raise ValueError(f"id {self.id} does not match paragraph {self.paragraph!r}")
        if self.lines[1] < self.lines[0]:
            raise ValueError("lines must be ordered")
        for route in self.entry.routes:
            if any(not 0 <= index < len(self.notes) for index in route.readings):
                raise ValueError(f"route {route.id} reads a note the position does not have")
        return self


class Chapter(Strict):
    chapter: int = Field(ge=2, le=10)
    title: LocalizedText
    lines: LineRange
    positions: list[Position] = Field(min_length=1)


class CategoryInfo(Strict):
    id: CategoryId
    name: LocalizedText


class ActInfo(Strict):
    number: str
    date: dt.date
    title: LocalizedText
    amended_by: str
    seed_file: str


class TestingWindow(Strict):
    start: dt.date
    end: dt.date


class RefresherRules(Strict):
    period_years: int = Field(ge=1, le=10)
    citation: Citation
    quote: str
    testing_windows: list[TestingWindow]
    testing_citation: Citation
    testing_quote: str


class RuleChange(Strict):
    """One entry of a ruleset's changelog: what changed against the previous version and why."""

    positions: list[str] = Field(min_length=1)  # position ids, e.g. ["2.2"]
    citation: Citation  # the clause the change follows
    what: LocalizedText
    why: LocalizedText


class CitationFormat(Strict):
    """How a citation reads in each language ("№338 бұйрық, 3-тарау, 7-параграф, 66,
    67-тармақтар"; "Приказ №338, глава 3, параграф 7, пункты 66, 67"), part by part."""

    act: LocalizedText  # {act}
    chapter: LocalizedText  # {chapter}
    paragraph: LocalizedText  # {paragraph}
    clause: LocalizedText  # {clauses}: one clause
    clauses: LocalizedText  # {clauses}: several, joined by ", "
    lines: LocalizedText  # {first}, {last}: the seed's lines
    official_language: LocalizedText  # said to readers of another language than the quote's


class ChangeNotice(Strict):
    """The message telling a teacher their stored result changed under a new version
    (``{name}`` placeholders filled per language at enqueue time)."""

    heading: LocalizedText  # {old}, {new}
    position: LocalizedText  # {position}
    estimate: LocalizedText  # {before}, {after}
    ceiling: LocalizedText  # {before}, {after}
    eligibility: LocalizedText  # {before}, {after}
    reason: LocalizedText  # {what}, {why}, {where}
    eligible: dict[Literal["yes", "no", "unknown"], LocalizedText]
    none: LocalizedText  # no category yet
    button: LocalizedText


class RulesetMeta(Strict):
    version: str
    previous: str | None = None  # the version this one replaces (its changes are listed below)
    changes: list[RuleChange] = []
    valid_from: dt.date
    valid_to: dt.date | None = None
    act: ActInfo
    disclaimer: LocalizedText
    categories: list[CategoryInfo]
    org_kinds: dict[OrgKind, LocalizedText]
    notes: list[Note] = []
    refresher: RefresherRules
    change_notice: ChangeNotice | None = None
    citation_format: CitationFormat | None = None
