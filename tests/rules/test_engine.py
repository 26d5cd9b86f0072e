from __future__ import annotations

import datetime as dt

import pytest

from backend.rules.answers import AnswersError, parse_answers
from backend.rules.engine import RulesDateError, UnknownPositionError, engine_for
from backend.rules.loader import Ruleset

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"educaton": "higher"}, "unknown answer keys: educaton"),
        ({"education": "phd"}, "education: 'phd' is not one of"),
        ({"experience": {"pedagogical": -1}}, "cannot be negative"),
        ({"experience": {"pedagogical": 61}}, "more than 60"),
        ({"experience": {"pedagogical": "five"}}, "expected a number of years"),
        ({"experience": {"teaching": 3}}, "experience.teaching: unknown kind"),
        ({"current_category": "pedagog_guru"}, "unknown category id 'pedagog_guru'"),
        ({"competencies": {"pedagog": 3}}, "competencies.pedagog"),
        ({"education_pedagogical": "yes"}, "expected true, false or 'unknown'"),
        ([1, 2], "answers must be an object"),
    ],
)
def test_bad_answers_are_named(raw: object, problem: str) -> None:
    with pytest.raises(AnswersError) as error:
        parse_answers(raw)
    assert problem in str(error.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(AnswersError) as error:
        parse_answers({"education": "x", "experience": {"position": 99}, "foo": 1})
    assert len(error.value.problems) == 3


def test_unknown_position_suggests_the_nearest(ruleset: Ruleset) -> None:
    with pytest.raises(UnknownPositionError) as error:
        engine_for(ruleset).evaluate("3.77", parse_answers({}), TODAY).to_dict()
    assert "3.7" in error.value.suggestions


def test_a_date_before_the_ruleset_is_refused(ruleset: Ruleset) -> None:
    with pytest.raises(RulesDateError, match="2022-04-11"):
        engine_for(ruleset).evaluate("3.7", parse_answers({}), dt.date(2020, 1, 1)).to_dict()


def test_questions_follow_the_answers_and_stop(ruleset: Ruleset) -> None:
    """Walk 3.7 as the bot would: each answer removes exactly the fact it answers."""
    engine = engine_for(ruleset)
    script = {
        "education": "higher",
        "education_pedagogical": True,
        "experience.pedagogical": 3.5,
        "competencies.pedagog": "all",
        "competencies.pedagog_moderator": "all",
        "competencies.pedagog_expert": ["c1"],
    }
    answers: dict[str, object] = {}
    asked = []
    while (question := engine.next_question("3.7", parse_answers(answers), TODAY)) is not None:
        asked.append(question.fact)
        assert question.fact in script, f"asked an unexpected fact {question.fact}"
        value = script[question.fact]
        if question.fact.startswith("experience."):
            answers.setdefault("experience", {})[question.fact.split(".")[1]] = value  # type: ignore[index]
        elif question.fact.startswith("competencies."):
            answers.setdefault("competencies", {})[question.fact.split(".")[1]] = value  # type: ignore[index]
        else:
            answers[question.fact] = value
    assert asked == list(script)  # retraining never asked: pedagogical education already qualifies
    outcome = engine.evaluate("3.7", parse_answers(answers), TODAY).to_dict()
    assert outcome["estimate"] == "pedagog_moderator"
    assert outcome["ceiling_by_experience"] == "pedagog_expert"
    assert outcome["missing_facts"] == []


def test_competency_question_lists_the_items(ruleset: Ruleset) -> None:
    answers = parse_answers(
        {"education": "higher", "education_pedagogical": True, "experience": {"pedagogical": 1}}
    )
    question = engine_for(ruleset).next_question("3.7", answers, TODAY)
    assert question is not None
    assert question.fact == "competencies.pedagog"
    assert question.kind == "competencies"
    ids = [item["id"] for item in question.items]
    assert ids == [f"c{n}" for n in range(1, len(ids) + 1)]
    assert all(item["kk"] and item["ru"] for item in question.items)


def test_dont_know_is_not_asked_again_and_stays_unknown(ruleset: Ruleset) -> None:
    engine = engine_for(ruleset)
    answers = parse_answers(
        {
            "education": "higher",
            "education_pedagogical": True,
            "experience": {"pedagogical": "unknown"},
        }
    )
    outcome = engine.evaluate("3.7", answers, TODAY).to_dict()
    assert "experience.pedagogical" not in outcome["missing_facts"]
    assert "experience.pedagogical" in outcome["unknown_answers"]
    statuses = {c["id"]: c["status"] for c in outcome["categories"]}
    assert statuses["pedagog_moderator"] == "unknown"
    assert outcome["ceiling_by_experience"] == "pedagog"


def test_every_position_evaluates_with_no_answers_and_asks_something(ruleset: Ruleset) -> None:
    engine = engine_for(ruleset)
    for position_id in ruleset.positions:
        outcome = engine.evaluate(position_id, parse_answers({}), TODAY).to_dict()
        assert outcome["eligible_for_position"] == "unknown", position_id
        assert outcome["missing_facts"], position_id
        question = engine.next_question(position_id, parse_answers({}), TODAY)
        assert question is not None
        assert question.fact == outcome["missing_facts"][0]
        for category in outcome["categories"]:
            assert category["citations"] or category["status"] != "met", position_id


def test_dont_know_the_variant_still_asks_what_could_settle_it(ruleset: Ruleset) -> None:
    """3.1 heads: the variants ask different things; "I don't know" must not end the questions."""
    engine = engine_for(ruleset)
    outcome = engine.evaluate("3.1", parse_answers({"variant": "unknown"}), TODAY).to_dict()
    assert outcome["eligible_for_position"] == "unknown"
    assert "variant" in outcome["unknown_answers"]
    assert outcome["missing_facts"][0] == "education"
    question = engine.next_question("3.1", parse_answers({"variant": "unknown"}), TODAY)
    assert question is not None
    assert question.fact == "education"


def test_a_failed_category_lists_no_facts_to_answer(ruleset: Ruleset) -> None:
    answers = parse_answers(
        {"education": "higher", "education_pedagogical": True, "experience": {"pedagogical": 1}}
    )
    outcome = engine_for(ruleset).evaluate("3.7", answers, TODAY).to_dict()
    master = next(c for c in outcome["categories"] if c["id"] == "pedagog_master")
    assert master["status"] == "not_met"
    assert all(item["kind"] != "fact" for item in master["missing"])
