"""The lint over the rules data: passes on the packaged data, fails on a planted mistake of
each kind (urban/rural without locality, «астам» not strict, «білім беру ұйымдарындағы» not
counted as any education organisation, years differing from the quote, no quote)."""

from __future__ import annotations

import pytest

from backend.rules.audit import Encoded, lint, lint_item
from backend.rules.loader import Ruleset
from backend.rules.schema import ExperienceRequirement


def test_the_packaged_data_passes_the_lint(ruleset: Ruleset) -> None:
    assert lint(ruleset) == []


def _item(locality: frozenset[str] = frozenset(), **experience: object) -> Encoded:
    fields: dict[str, object] = {"kind": "pedagogical", "op": "ge", "years": 5, "text": "x"}
    fields.update(experience)
    return Encoded(
        "9.9", "route planted", ExperienceRequirement.model_validate(fields), locality, (1, 2)
    )


GOOD_QUOTE = (
    "педагогикалық жұмыс өтілі: қалалық жерде - кемінде 5 жыл, ауылдық жерде - кемінде 3 жыл"
)


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        pytest.param(
            _item(text="қалалық жерде - кемінде 5 жыл", quote=GOOD_QUOTE),
            "urban but the condition has no locality",
            id="urban-without-locality",
        ),
        pytest.param(
            _item(
                frozenset({"urban"}),
                years=3,
                text="ауылдық жерде - кемінде 3 жыл",
                quote=GOOD_QUOTE,
            ),
            "rural but the condition has no locality",
            id="rural-without-locality",
        ),
        pytest.param(
            _item(years=3, text="3 жылдан астам", quote="3 жылдан астам жұмыс өтілі"),
            "«астам» but the operator is not gt",
            id="more-than-not-strict",
        ),
        pytest.param(
            _item(
                kind="organisation_type",
                text="кемінде 5 жыл",
                quote="педагогикалық білім, білім беру ұйымдарындағы жұмыс өтілі кемінде 5 жыл;",
            ),
            "with no qualifier but kind organisation_type",
            id="any-organisation-as-own-kind",
        ),
        pytest.param(
            _item(years=4, text="кемінде 5 жыл", quote="педагогикалық жұмыс өтілі кемінде 5 жыл"),
            "names [5.0] years, encoded 4",
            id="years-differ",
        ),
        pytest.param(
            _item(years=5, text="кемінде бес жыл", quote="жұмыс өтілі кемінде бес жыл"),
            None,
            id="number-words-agree",
        ),
        pytest.param(_item(text="кемінде 5 жыл"), "condition without a quote", id="no-quote"),
    ],
)
def test_a_planted_mistake_fails_the_lint(item: Encoded, needle: str | None) -> None:
    problems = lint_item(item)
    if needle is None:
        assert problems == []
    else:
        assert any(needle in problem for problem in problems), problems


def test_a_qualified_organisation_is_not_flagged() -> None:
    item = _item(
        kind="organisation_type",
        text="кемінде 5 жыл",
        quote="техникалық және кәсіптік, орта білімнен кейінгі білім беру ұйымдарындағы жұмыс "
        "өтілі кемінде 5 жыл;",
    )
    assert lint_item(item) == []
