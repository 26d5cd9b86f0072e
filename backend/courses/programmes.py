"""Course kinds and the seven long-term programmes of Order 266, para 26 (rules as data).

The YAML next door holds the programme titles (kk verbatim, ru a working translation) with
their clause, annex and line range; the check-in months of post-course support (para 31) are
there too, marked as an assumption since the order sets no schedule.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data" / "programmes.yaml"
COURSE_KINDS: Final = ("short", "long_term", "heads", "other")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Programme(_Strict):
    id: str
    clause: int = Field(ge=1, le=7)
    annex: int
    lines: tuple[int, int]
    kk: str
    ru: str

    def title(self, language: str) -> str:
        return self.kk if language == "kk" else self.ru


class CertificateRule(_Strict):
    paragraph: int
    lines: tuple[int, int]
    kk: str
    ru: str


class SeedLines(_Strict):
    file: str
    lines: tuple[int, int]


class PostCourseSupport(_Strict):
    paragraph: int
    lines: tuple[int, int]
    also: SeedLines
    checkin_months: tuple[int, ...]
    assumption: bool


class ProgrammeCatalog(_Strict):
    act: str
    file: str
    certificate_rule: CertificateRule
    programmes: tuple[Programme, ...] = Field(min_length=7, max_length=7)
    post_course_support: PostCourseSupport

    def get(self, programme_id: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == programme_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.programmes)


@functools.cache
def load_programmes(path: Path = DATA) -> ProgrammeCatalog:
    return ProgrammeCatalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
