"""Issue 16's probes against a real backend on loopback (SQLite), each while ``/healthz`` is
polled every 10 ms: the probe's status and time, and the slowest ``/healthz`` answer meanwhile.

Goal: every probe answers 4xx (or 200 for the legitimate import) within a second -- the
50 000-row import aside, which only has to keep ``/healthz`` fast -- and ``/healthz`` stays under
50 ms throughout. Run: ``.venv/bin/python -m bench.hardening``.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import ClientSession, web
from openpyxl import Workbook

from backend import api_tokens
from backend.db import create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings, StaffSettings
from backend.web.app import create_app
from backend.web.server import ProblemAppRunner

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER: list[object] = ["ФИО", "Должность", "Дата последнего курса", "Категория"]
Probe = Callable[[ClientSession], Awaitable[int]]


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _shared_strings_bomb() -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([HEADER]))) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        unused = b"<si><t>" + b"A" * 1000 + b"</t></si>"
        target.writestr("xl/sharedStrings.xml", b"<sst>" + unused * 100_000 + b"</sst>")
    return out.getvalue()


def _wide_xlsx() -> bytes:
    """5 000 rows of 1 328 one-digit cells: a few hundred KB zipped, 100 MB of sheet XML."""
    cells = b"<c><v>1</v></c>" * 1328
    rows = b"".join(b"<row>" + cells + b"</row>" for _ in range(5000))
    sheet = b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([HEADER]))) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, sheet if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def _big_csv(rows: int) -> bytes:
    lines = [";".join(map(str, HEADER))]
    lines += [f"Мұғалім {i} Тест;3.7;10.05.2022;" for i in range(rows)]
    return "\n".join(lines).encode()


async def _probes(headers: dict[str, str], org: int) -> list[tuple[str, Probe]]:
    evaluate = "/api/v1/assessments/evaluate"
    roster = f"/api/v1/organisations/{org}/roster"
    bomb, wide, big = _shared_strings_bomb(), _wide_xlsx(), _big_csv(50_000)

    def post(path: str, body: bytes, content_type: str) -> Probe:
        async def probe(session: ClientSession) -> int:
            async with session.post(
                path, data=io.BytesIO(body), headers={**headers, "Content-Type": content_type}
            ) as response:
                await response.read()
                return response.status

        return probe

    def position(size: int) -> bytes:
        return json.dumps({"position": "a" * size}).encode()

    return [
        (
            "evaluate, 1 000 000-character position",
            post(evaluate, position(1_000_000), "application/json"),
        ),
        ("evaluate, 4.9 MB position", post(evaluate, position(4_900_000), "application/json")),
        (
            "JSON nested 2 000 levels",
            post(evaluate, b"[" * 2000 + b"]" * 2000, "application/json"),
        ),
        (
            "5 000-digit number",
            post(evaluate, b'{"position": ' + b"9" * 5000 + b"}", "application/json"),
        ),
        (f"XLSX, {len(bomb) // 1024} KB with 100 MB of shared strings", post(roster, bomb, XLSX)),
        (f"XLSX, {len(wide) // 1024} KB, 5 000 rows x 1 328 cells", post(roster, wide, XLSX)),
        (f"CSV import, 50 000 rows ({len(big) // 1024} KB)", post(roster, big, "text/csv")),
    ]


async def _healthz_while(session: ClientSession, done: asyncio.Event) -> list[float]:
    times: list[float] = []
    while not done.is_set():
        started = time.perf_counter()
        async with session.get("/healthz") as response:
            await response.read()
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.01)
    return times


async def main_async() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade_async(url)
        settings = Settings(
            _env_file=None,
            database=DatabaseSettings(url=url),
            staff=StaffSettings(roster_max_rows=50_000, roster_max_bytes=8 * 1024 * 1024),
        )
        engine = create_engine(settings.database)
        pool = create_session_pool(engine)
        token = await api_tokens.create_token(pool, name="bench", pepper="")
        headers = {"Authorization": f"Bearer {token.token}"}
        app = create_app(settings, engine=engine, ruleset=default_ruleset())
        gc.freeze()  # as backend.runtime does at startup
        runner = ProblemAppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with ClientSession(f"http://127.0.0.1:{port}") as session:
            async with session.post(
                "/api/v1/organisations", json={"name": "Bench", "kind": "school"}, headers=headers
            ) as response:
                org = (await response.json())["id"]
            print(f"{'probe':<52} {'status':>6} {'time':>8} {'/healthz max':>13}")
            for name, probe in await _probes(headers, org):
                done = asyncio.Event()
                poller = asyncio.create_task(_healthz_while(session, done))
                started = time.perf_counter()
                status = await probe(session)
                seconds = time.perf_counter() - started
                done.set()
                latencies = await poller
                slowest = max(latencies) if latencies else 0.0
                print(f"{name:<52} {status:>6} {seconds:>7.2f}s {slowest:>10.1f} ms")
        await runner.cleanup()
        await engine.dispose()


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
