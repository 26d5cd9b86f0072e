from __future__ import annotations

import json

from tests.sanat_cli import SanatCli


def test_positions_json_lists_all_91_with_the_required_fields(sanat_cli: SanatCli) -> None:
    result = sanat_cli("rules", "positions", "--format", "json")
    rows = json.loads(result.stdout)
    assert len(rows) == 91
    assert {"id", "name_kk", "name_ru", "chapter", "paragraph", "clause"} <= set(rows[0])
    assert [row["id"] for row in rows][:2] == ["2.1", "2.2"]


def test_positions_search_tolerates_russian_keyboard_kazakh(sanat_cli: SanatCli) -> None:
    result = sanat_cli("rules", "positions", "--search", "тарбиеши", "--format", "json")
    ids = [row["id"] for row in json.loads(result.stdout)]
    assert "2.4" in ids[:3]


def test_evaluate_reads_answers_from_stdin(sanat_cli: SanatCli) -> None:
    answers = json.dumps(
        {"education": "higher", "education_pedagogical": True, "experience": {"pedagogical": 4}}
    )
    result = sanat_cli(
        "rules", "evaluate", "--position", "3.7", "--answers", "-", "--on", "2026-11-22",
        stdin=answers,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["ceiling_by_experience"] == "pedagog_researcher"
    assert outcome["as_of"] == "2026-11-22"


def test_evaluate_bad_input_is_one_line_without_traceback(sanat_cli: SanatCli) -> None:
    result = sanat_cli(
        "rules",
        "evaluate",
        "--position",
        "3.7",
        "--answers",
        "-",
        stdin='{"experience": {"pedagogical": 70}}',
    )
    assert result.returncode == 2
    assert "more than 60" in result.stderr
    assert "Traceback" not in result.stderr


def test_batch_keeps_order_and_reports_bad_lines_in_place(sanat_cli: SanatCli) -> None:
    lines = "\n".join(
        [
            json.dumps({"position": "3.7", "answers": {"education": "tvet"}, "on": "2026-11-22"}),
            "{not json",
            json.dumps({"position": "99.9", "answers": {}}),
            json.dumps({"position": "2.4", "answers": {"education": "higher"}}),
        ]
    )
    result = sanat_cli("rules", "evaluate", "--batch", "-", stdin=lines + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["position"] == "3.7"
    assert out[1]["error"].startswith("line 2: not JSON")
    assert "unknown position '99.9'" in out[2]["error"]
    assert out[3]["position"] == "2.4"
    assert result.returncode == 1


def test_show_prints_requirements_and_the_verbatim_clause(sanat_cli: SanatCli) -> None:
    result = sanat_cli.subprocess("rules", "show", "2.4")  # the script, once
    assert result.returncode == 0
    assert "Воспитатель" in result.stdout
    assert "20. Біліктілікке қойылатын талаптар:" in result.stdout
    assert "lines 479-" in result.stdout
