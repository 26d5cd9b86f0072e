from __future__ import annotations

import json
import logging

import pytest

from backend.logs import configure_logging
from backend.settings import LogSettings


def test_json_lines_with_ids_and_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LogSettings(level="INFO", format="json"))
    token = "123456789:AAH" + "x" * 32
    logging.getLogger("aiogram.test").info(
        "request to https://api.telegram.org/bot%s/getMe failed",
        token,
        extra={"telegram_id": 1001},
    )
    logging.getLogger("sanat.debug").debug("not shown at INFO")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO"
    assert entry["telegram_id"] == 1001
    assert token not in lines[0]
    assert "<token>" in entry["msg"]
