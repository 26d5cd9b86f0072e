"""Property-based run of schemathesis against the real backend on loopback, on SQLite and
PostgreSQL, with an admin token and without one: no server error, and every answer conforms
to the generated OpenAPI document (status code, content type, headers, body schema).

Bounded for CI: ``MAX_EXAMPLES`` generated cases per operation (fewer without a token, where
almost everything is a 401), no shrinking, no deadline per example. The figures (operations,
examples, seconds, server errors) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import pytest
import schemathesis
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend import curators
from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from backend.web.openapi import document
from tests.broadcasts.helpers import curator, person
from tests.courses.helpers import add_course, new_teacher

SCHEMATHESIS_VERSION = version("schemathesis")  # pinned in pyproject.toml
# Cases per operation: with the admin token (schema-valid, then schema-violating input) and
# without one (almost everything is a 401 there).
MAX_EXAMPLES = {True: (20, 8), False: (5, 3)}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NOW = dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)


def _run(base_url: str, headers: dict[str, str], max_examples: tuple[int, int]) -> Tally:
    """Every operation of the document, ``max_examples`` cases each (in a worker thread)."""
    schema = schemathesis.openapi.from_dict(document())
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # our own document is valid
        tally.operations += 1
        for mode, examples in zip(
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE), max_examples, strict=True
        ):
            _run_operation(operation.as_strategy(mode), base_url, headers, examples, tally)
    return tally


def _run_operation(
    strategy: Any, base_url: str, headers: dict[str, str], max_examples: int, tally: Tally
) -> None:
    @given(case=strategy)
    @settings(
        max_examples=max_examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        tally.examples += 1
        if response.status_code >= 500:
            tally.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, FailureGroup) as error:  # keep going: report every operation
            tally.failures.append(f"{case.operation.label}: {str(error)[:400]}")

    # Unsatisfiable: nothing to violate (no parameters, no body); positive runs cover it.
    with contextlib.suppress(Unsatisfiable):
        check()


async def _seed(pool: SessionPool) -> None:
    """A little of everything, so that small ids reach real rows too."""
    user_id = await new_teacher(pool, 1)
    await add_course(pool, user_id, dt.date(2022, 5, 10))
    await curator(pool, curators.Scope())
    await person(pool, name="Айгүл")


@pytest.mark.slow  # ~45 s per database: `make test-slow`, which CI runs
@pytest.mark.parametrize("with_token", [True, False], ids=["admin", "anonymous"])
async def test_schemathesis_finds_no_server_error_and_no_nonconformance(
    settings: Settings,
    *,
    engine: object,
    ruleset: Ruleset,
    session_pool: SessionPool,
    auth_headers: dict[str, str],
    database_url: str,
    with_token: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _seed(session_pool)
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        started = time.monotonic()
        headers = auth_headers if with_token else {}
        run: Callable[[], Tally] = lambda: _run(  # noqa: E731
            str(server.make_url("")), headers, MAX_EXAMPLES[with_token]
        )
        tally = await asyncio.to_thread(run)
        seconds = time.monotonic() - started
    finally:
        await server.close()
    with capsys.disabled():
        print(
            f"\nschemathesis {SCHEMATHESIS_VERSION} on {database_url.split(':', maxsplit=1)[0]}, "
            f"{'admin token' if with_token else 'no token'}: {tally.operations} operations, "
            f"{tally.examples} examples, {seconds:.1f} s, {tally.server_errors} server errors"
        )
    assert tally.operations == len(
        [m for item in document()["paths"].values() for m in item if m != "parameters"]
    )
    assert tally.examples >= tally.operations
    assert tally.server_errors == 0
    assert tally.failures == []
