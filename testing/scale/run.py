"""The scale run: several ``sanat backend`` and ``sanat bot`` processes on PostgreSQL and Redis
against the local Bot API server, under dialogs, due reminders and a broadcast at once.

``scale_run(options)`` does it all and returns a ``Report`` (figures and checks); ``bench.scale``
prints it and ``tests/e2e/test_scale.py`` runs a small one and asserts its checks.

1. Reference: each distinct dialog profile is played against one in-process bot (polling,
   SQLite store): the result every dialog of that profile must end with.
2. Scale phase: a fresh PostgreSQL database with ``teachers`` teachers whose reminders fall due
   at once and ``recipients`` broadcast recipients; ``backends`` backends (scheduler and delivery
   worker each) and ``bots`` webhook bots behind ``Front`` (one user's consecutive updates on
   different processes). ``dialogs`` teachers do full assessments while the reminders and the
   broadcast go out; one backend and one bot are SIGKILLed midway and restarted.
3. Comparison: the same number of new dialogs with 1 bot process, then again with ``bots``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import resource
import secrets
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiohttp import ClientError, ClientSession, ClientTimeout
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from backend.courses.sweep import SWEEP_LOCK_KEY
from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.settings import BotSettings, DatabaseSettings, Settings
from bot.runner import run_bot
from bot.storage import REDIS_KEY_PREFIX
from testing.databases import fresh_postgres_database
from testing.scale.cluster import SanatProcess, base_env
from testing.scale.dialog import DialogRun, Profile, play, profiles
from testing.scale.front import Front
from testing.scale.load import (
    ADMIN_TELEGRAM_ID,
    BROADCAST,
    DIALOG_BASE,
    REMINDER_BASE,
    add_admin,
    add_reminder_teachers,
    course_reminders_per_teacher,
    create_api_token,
    outbox_by_kind,
    outstanding,
)
from testing.telegram import Call, LocalBotAPI
from testing.telegram.limits import SEND_METHODS, busiest_second

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
ALMATY_OFFSET = dt.timedelta(hours=5)
REFERENCE_CONCURRENCY = 4  # the single-process SQLite bot runs out of pool connections above ~15
STEPS_PER_DIALOG = 10  # about; for "midway"
HARNESS = "harness (Bot API server, front, teachers)"


@dataclass(frozen=True)
class Options:
    postgres_url: str
    redis_url: str
    teachers: int = 10_000
    dialogs: int = 500
    recipients: int = 10_000
    rate: float = 25.0  # SANAT_DELIVERY_GLOBAL_RATE, the limit the combined rate is checked by
    backends: int = 2
    bots: int = 3
    kill: bool = True
    compare: bool = True  # phases 2 and 3: dialogs alone on 1 bot process, then on ``bots``
    compare_dialogs: int | None = None  # dialogs in each of phases 2 and 3 (``dialogs``)
    # Seconds a teacher waits for an answer before doing it again; by default 30 s, or a fifth
    # of a second per concurrent dialog if more (on a busy 2-core machine a step of 500
    # concurrent dialogs can wait tens of seconds for its turn).
    patience: float | None = None

    @property
    def step_patience(self) -> float:
        return self.patience if self.patience is not None else max(30.0, self.dialogs / 5)

    drain_timeout: float = 900.0
    keep_logs: Path | None = None  # copy the processes' logs here


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Phase:
    label: str
    bots: int
    runs: list[DialogRun]
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)  # process → CPU seconds in the phase

    @property
    def updates(self) -> int:
        return sum(len(run.steps) + run.retries for run in self.runs)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        steps = sorted(step for run in self.runs for step in run.steps)
        return steps[min(len(steps) - 1, int(len(steps) * fraction))] if steps else math.nan


@dataclass
class Report:
    options: Options
    phases: list[Phase] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    metrics: dict[str, list[str]] = field(default_factory=dict)  # process → series names

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def scale_run(options: Options) -> Report:
    """The whole run on a fresh PostgreSQL database (created and dropped here)."""
    with fresh_postgres_database(options.postgres_url) as url:
        return asyncio.run(_run(options, url))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# 1. Reference -------------------------------------------------------------------------------


async def reference_results(distinct: list[Profile]) -> dict[Profile, str | None]:
    """Each profile played once against one in-process bot (polling, SQLite store)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'reference.db'}"
        await upgrade_async(url)
        async with LocalBotAPI() as api:
            settings = Settings(
                _env_file=None,
                bot=BotSettings(token=SecretStr(api.token), api_server=api.base_url),
                database=DatabaseSettings(url=url),
            )
            stop = asyncio.Event()
            bot = asyncio.create_task(run_bot(settings, stop))
            await api.wait_until_polling(timeout=60)
            limit = asyncio.Semaphore(REFERENCE_CONCURRENCY)

            async def one(number: int, profile: Profile) -> DialogRun:
                async with limit:
                    user = api.user(100 + number, "Мұғалім", language_code=profile.language)
                    return await play(user, profile)

            runs = await asyncio.gather(*(one(n, p) for n, p in enumerate(distinct)))
            stop.set()
            await bot
    return {run.profile: run.result for run in runs}


# 2. The cluster -----------------------------------------------------------------------------


@dataclass
class Cluster:
    api: LocalBotAPI
    front: Front
    backends: list[SanatProcess]
    bots: list[SanatProcess]
    secrets: dict[str, str]  # name → value, looked for in every log

    @property
    def processes(self) -> list[SanatProcess]:
        return self.backends + self.bots

    async def start(self, processes: list[SanatProcess]) -> None:
        await asyncio.gather(*(process.start() for process in processes))
        await asyncio.gather(*(process.wait_ready() for process in processes))

    def cpu(self) -> dict[str, float]:
        return {process.name: process.cpu_total() for process in self.processes}


def _env(
    options: Options, url: str, *, api: LocalBotAPI, front: Front, secret: str, pepper: str
) -> dict[str, str]:
    return base_env() | {
        "SANAT_DATABASE_URL": url,
        "SANAT_REDIS_URL": options.redis_url,
        "SANAT_BOT_TOKEN": api.token,
        "SANAT_BOT_API_SERVER": api.base_url,
        "SANAT_BOT_MODE": "webhook",
        "SANAT_BOT_WEBHOOK_URL": front.url,
        "SANAT_BOT_WEBHOOK_PATH": WEBHOOK_PATH,
        "SANAT_BOT_WEBHOOK_SECRET": secret,
        "SANAT_WEB_API_TOKENS_PEPPER": pepper,
        "SANAT_SCHEDULER_SWEEP_INTERVAL_SECONDS": "5",
        "SANAT_DELIVERY_GLOBAL_RATE": f"{options.rate:g}",
        "SANAT_DELIVERY_QUIET_START": "00:00",  # no quiet hours: reminders go out at any hour
        "SANAT_DELIVERY_QUIET_END": "00:00",
        "SANAT_LOG_LEVEL": "INFO",
        "SANAT_LOG_FORMAT": "json",
    }


@contextlib.asynccontextmanager
async def cluster(
    options: Options, url: str, api: LocalBotAPI, logs: Path
) -> AsyncIterator[Cluster]:
    secret = secrets.token_urlsafe(24)
    pepper = secrets.token_urlsafe(24)
    async with Front(WEBHOOK_PATH) as front:
        env = _env(options, url, api=api, front=front, secret=secret, pepper=pepper)
        backends = []
        for n in range(options.backends):
            port = free_port()
            backends.append(
                SanatProcess(
                    f"backend{n + 1}",
                    "backend",
                    env | {"SANAT_WEB_PORT": str(port)},
                    f"http://127.0.0.1:{port}/healthz",
                    logs / f"backend{n + 1}.log",
                    logs,
                )
            )
        bots = []
        for n in range(options.bots):
            port = free_port()
            webhook = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            bots.append(
                SanatProcess(
                    f"bot{n + 1}",
                    "bot",
                    env
                    | {"SANAT_BOT_WEBHOOK_PORT": str(port), "SANAT_WEB_PORT": str(free_port())},
                    webhook,
                    logs / f"bot{n + 1}.log",
                    logs,
                )
            )
        front.targets = [bot.probe for bot in bots]
        running = Cluster(
            api,
            front,
            backends,
            bots,
            {
                "bot token": api.token,
                "bot token (secret part)": api.token.split(":", 1)[1],
                "webhook secret": secret,
                "API token pepper": pepper,
            },
        )
        try:
            yield running
        finally:
            await asyncio.gather(*(process.stop() for process in running.processes))


# Observers ----------------------------------------------------------------------------------


@dataclass
class SweepWatch:
    """Who holds the sweep's advisory lock, sampled every ``interval`` seconds."""

    samples: int = 0
    most_at_once: int = 0
    holders: list[int] = field(default_factory=list)  # backend pids, one per sweep seen

    async def run(self, url: str, stop: asyncio.Event, interval: float = 0.02) -> None:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        previous: int | None = None
        try:
            while not stop.is_set():
                pids = await connection.fetch(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND classid = $1 AND objid = $2 AND database = (SELECT oid FROM"
                    " pg_database WHERE datname = current_database())",
                    SWEEP_LOCK_KEY >> 32,
                    SWEEP_LOCK_KEY & 0xFFFFFFFF,
                )
                self.samples += 1
                self.most_at_once = max(self.most_at_once, len(pids))
                current = pids[0]["pid"] if pids else None
                if current is not None and current != previous:
                    self.holders.append(current)
                previous = current
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            await connection.close()


async def scrape_metrics(client: ClientSession, url: str) -> list[str] | None:
    """The series names a ``/metrics`` page lists, or None when there is none."""
    try:
        async with client.get(url) as response:
            if response.status != 200:
                return None
            text = await response.text()
    except (ClientError, TimeoutError):
        return None
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return sorted(names)


async def poll_broadcast(
    client: ClientSession, base: str, token: str, broadcast_id: int, stop: asyncio.Event
) -> list[int]:
    """The curator's view of the broadcast over the API (bearer token), every 2 s: statuses."""
    statuses = []
    while not stop.is_set():
        try:
            async with client.get(
                f"{base}/api/v1/broadcasts/{broadcast_id}",
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                statuses.append(response.status)
                await response.read()
        except (ClientError, TimeoutError):
            statuses.append(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)
    return statuses


# Dialog phases ------------------------------------------------------------------------------


async def dialogs(
    api: LocalBotAPI,
    label: str,
    chosen: list[Profile],
    *,
    first_id: int,
    bots: int,
    patience: float,
    cpu: Callable[[], dict[str, float]],
    live: list[DialogRun] | None = None,
) -> Phase:
    """Every teacher starts at once; the phase lasts until the last one has their result."""
    users = [
        api.user(first_id + n, f"Мұғалім {n}", language_code=profile.language)
        for n, profile in enumerate(chosen)
    ]
    runs = [DialogRun(profile, user.id) for user, profile in zip(users, chosen, strict=True)]
    if live is not None:
        live.extend(runs)
    before, harness_before = cpu(), _harness_cpu()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            play(user, run.profile, patience=patience, run=run)
            for user, run in zip(users, runs, strict=True)
        )
    )
    seconds = time.perf_counter() - started
    after = cpu()
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    used[HARNESS] = _harness_cpu() - harness_before
    return Phase(label, bots, runs, seconds, used)


def _harness_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The run ------------------------------------------------------------------------------------


async def _run(options: Options, url: str) -> Report:
    report = Report(options)
    chosen = profiles(options.dialogs)
    distinct = sorted(set(chosen), key=lambda p: (p.language, p.seed))
    started = time.perf_counter()
    expected = await reference_results(distinct)
    report.figures.append(
        f"reference: {len(distinct)} distinct dialogs on one in-process bot (SQLite store) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    await upgrade_async(url)
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    bot_id = 600_000_000 + secrets.randbelow(100_000_000)  # its own Redis keys
    logs_dir = Path(tempfile.mkdtemp(prefix="sanat-scale-"))
    try:
        async with LocalBotAPI(bot_id=bot_id, webhook_connections=64) as api:
            admin_id = await add_admin(pool, api)
            await BROADCAST.add_recipients(pool, api, options.recipients)
            today = (dt.datetime.now(dt.UTC) + ALMATY_OFFSET).date()
            await add_reminder_teachers(url, api, options.teachers, today)
            async with cluster(options, url, api, logs_dir) as running:
                token = await create_api_token(pool, running.secrets["API token pepper"])
                running.secrets["API bearer token"] = token
                await _scale_phase(
                    report,
                    options,
                    running,
                    pool=pool,
                    url=url,
                    chosen=chosen,
                    expected=expected,
                    admin_id=admin_id,
                    token=token,
                )
                if options.compare:
                    await _compare_phases(report, options, running, chosen, expected)
            _check_logs(report, running)
            if options.keep_logs is not None:
                options.keep_logs.mkdir(parents=True, exist_ok=True)
                for process in running.processes:
                    (options.keep_logs / process.log_path.name).write_text(process.log())
    finally:
        await engine.dispose()
        await _forget_dialog_state(options.redis_url, bot_id)
        shutil.rmtree(logs_dir, ignore_errors=True)  # kept in ``keep_logs`` if asked
    return report


async def _scale_phase(
    report: Report,
    options: Options,
    running: Cluster,
    *,
    pool: SessionPool,
    url: str,
    chosen: list[Profile],
    expected: dict[Profile, str | None],
    admin_id: int,
    token: str,
) -> None:
    api = running.api
    started = time.perf_counter()
    await running.start(running.processes)
    report.figures.append(
        f"cluster: {len(running.backends)} backends and {len(running.bots)} webhook bots up in "
        f"{time.perf_counter() - started:.1f} s"
    )
    stop = asyncio.Event()
    sweeps = SweepWatch()
    watching = asyncio.create_task(sweeps.run(url, stop))
    live: list[DialogRun] = []
    async with ClientSession(timeout=ClientTimeout(total=10)) as client:
        broadcast_id, recipients = await BROADCAST.launch(pool, admin_id)
        api_base = running.backends[-1].probe.removesuffix("/healthz")
        polling = asyncio.create_task(poll_broadcast(client, api_base, token, broadcast_id, stop))
        phase_task = asyncio.create_task(
            dialogs(
                api,
                f"{len(running.bots)} bots under load",
                chosen,
                first_id=DIALOG_BASE,
                bots=len(running.bots),
                patience=options.step_patience,
                cpu=running.cpu,
                live=live,
            )
        )
        killer = asyncio.create_task(_kill_midway(options, running, phase_task, live))
        phase = await phase_task
        report.figures.append(await killer)
        report.phases.append(phase)
        await _scrape(report, client, running)
        drained, drain_seconds = await _drain(pool, options.drain_timeout)
        stop.set()
        await watching
        statuses = await polling
    report.figures.append(
        f"delivery: outbox {'drained' if drained else 'NOT drained'} "
        f"{drain_seconds:.1f} s after the last dialog ended"
    )
    _check_dialogs(report, phase, expected)
    _check_routing(report, running)
    await _check_delivery(report, options, running, pool, recipients)
    await _check_sweeps(report, options, running, pool, sweeps)
    report.figures.append(
        f"broadcast progress read over the API with a bearer token: "
        f"{dict(Counter(statuses))} (HTTP status: answers)"
    )


async def _kill_midway(
    options: Options, running: Cluster, phase: asyncio.Task[Phase], live: list[DialogRun]
) -> str:
    """SIGKILL backend 1 and bot 1 once a third of the dialog steps are done and deliveries
    have started, then restart both."""
    if not options.kill:
        return "kills: none (kill disabled)"
    api = running.api
    wanted = max(1, options.dialogs * STEPS_PER_DIALOG // 3)
    while True:
        if phase.done():
            return "kills: none (the dialogs ended before midway)"
        steps = sum(len(run.steps) for run in live)
        if steps >= wanted and _delivered(api, options) > 0:
            break
        await asyncio.sleep(0.25)
    delivered = _delivered(api, options)
    backend, bot = running.backends[0], running.bots[0]
    running.front.down.add(0)
    await asyncio.gather(backend.kill(), bot.kill())
    killed_at = time.perf_counter()
    await asyncio.gather(backend.start(), bot.start())
    await asyncio.gather(backend.wait_ready(), bot.wait_ready())
    running.front.down.discard(0)
    return (
        f"kills: SIGKILLed {backend.name} and {bot.name} after {steps} dialog steps and "
        f"{delivered} deliveries; both back in {time.perf_counter() - killed_at:.1f} s"
    )


def _is_send(call: Call) -> bool:
    return call.method.lower() in SEND_METHODS


def _is_delivery_chat(options: Options, chat: object) -> bool:
    """A chat the outbox sends to: reminder teachers, broadcast recipients, the admin."""
    if not isinstance(chat, int):
        return False
    first = BROADCAST.first_telegram_id
    return (
        chat == ADMIN_TELEGRAM_ID
        or first <= chat < first + options.recipients
        or REMINDER_BASE <= chat < REMINDER_BASE + options.teachers
    )


def _delivered(api: LocalBotAPI, options: Options) -> int:
    return sum(1 for c in api.calls if _is_send(c) and _is_delivery_chat(options, c.chat_id))


async def _scrape(report: Report, client: ClientSession, running: Cluster) -> None:
    """``/metrics`` of every process, if served (the backend's web port, the bot's webhook)."""
    for process in running.processes:
        base = process.probe.removesuffix("/healthz").removesuffix(WEBHOOK_PATH)
        names = await scrape_metrics(client, f"{base}/metrics")
        report.metrics[process.name] = names if names is not None else []


async def _drain(pool: SessionPool, timeout: float) -> tuple[bool, float]:
    """Until nothing is pending or being sent (a killed worker's claims come back after the
    lease, 60 s); whether that happened within ``timeout``, and after how long."""
    started = time.perf_counter()
    while await outstanding(pool):
        if time.perf_counter() - started > timeout:
            return False, time.perf_counter() - started
        await asyncio.sleep(1.0)
    await asyncio.sleep(2.0)  # the last answers' outcomes are stored before the rows leave
    return True, time.perf_counter() - started


# Checks -------------------------------------------------------------------------------------


def _check_dialogs(report: Report, phase: Phase, expected: dict[Profile, str | None]) -> None:
    errors = [run for run in phase.runs if run.error is not None]
    wrong = [
        run for run in phase.runs if run.error is None and run.result != expected.get(run.profile)
    ]
    detail = (
        f"{len(phase.runs) - len(errors) - len(wrong)} of {len(phase.runs)} dialogs ended with "
        f"the reference result; {len(errors)} unfinished, {len(wrong)} different; "
        f"{sum(run.retries for run in phase.runs)} steps done again after no answer"
    )
    if errors:
        detail += f"; first unfinished: user {errors[0].user_id}: {errors[0].error}"
    if wrong:
        detail += f"; first different: user {wrong[0].user_id}: {(wrong[0].result or '')[:120]!r}"
    missing = [p for p, result in expected.items() if result is None]
    if missing:
        detail += f"; the reference itself did not finish {len(missing)} profile(s)"
    report.check(
        f"dialogs ({phase.label}) end as in the single-process run",
        not errors and not wrong and not missing,
        detail,
    )


def _check_routing(report: Report, running: Cluster) -> None:
    routed = running.front.routed
    report.check(
        "one user's consecutive updates land on different bot processes",
        routed.same_as_previous <= routed.failovers + routed.refused,
        f"updates per process {dict(sorted(routed.by_process.items()))}; followed the same "
        f"user's previous update onto the same process {routed.same_as_previous} times "
        f"(failovers while a process was down: {routed.failovers}, refused: {routed.refused})",
    )


async def _check_delivery(
    report: Report, options: Options, running: Cluster, pool: SessionPool, recipients: int
) -> None:
    api = running.api
    sends = [c for c in api.calls if _is_send(c) and _is_delivery_chat(options, c.chat_id)]
    accepted: Counter[int] = Counter(c.chat_id for c in sends if c.ok)
    refused = Counter(c.error_code for c in sends if not c.ok)
    killed = sum(process.kills for process in running.backends)
    blocked = BROADCAST.blocked(options.recipients)
    first = BROADCAST.first_telegram_id
    kinds = await outbox_by_kind(pool)

    teachers = [REMINDER_BASE + n for n in range(options.teachers)]
    missing = [chat for chat in teachers if accepted[chat] == 0]
    duplicates = sum(max(0, accepted[chat] - 1) for chat in teachers)
    report.check(
        "every course reminder delivered exactly once",
        not missing and duplicates <= killed,
        f"{options.teachers - len(missing)} of {options.teachers} teachers got theirs, "
        f"{duplicates} duplicate(s) (allowed: {killed}, one per killed worker); outbox "
        f"{dict(kinds.get('course_reminder', Counter()))}",
    )
    wanted = [first + n for n in range(options.recipients) if first + n not in blocked]
    missing = [chat for chat in wanted if accepted[chat] == 0]
    duplicates_b = sum(max(0, accepted[chat] - 1) for chat in wanted)
    report.check(
        "every broadcast copy delivered exactly once",
        not missing and duplicates + duplicates_b <= killed and recipients == options.recipients,
        f"{len(wanted) - len(missing)} of {len(wanted)} reachable recipients got theirs "
        f"({len(blocked)} blocked the bot: 403), {duplicates_b} duplicate(s), "
        f"{duplicates + duplicates_b} in all (allowed: {killed})",
    )
    arrivals = sorted(c.at for c in sends)
    peak, at = busiest_second(arrivals)
    limit = math.floor(options.rate)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    workers = len(running.backends)
    report.check(
        "combined send rate never above the configured limit in any one-second window",
        peak <= limit,
        f"busiest second: {peak} sends (limit {limit}/s, SANAT_DELIVERY_GLOBAL_RATE) at "
        f"{at:.0f} s into delivery; {len(sends)} sends in {span:.1f} s = "
        f"{len(sends) / span if span else 0:.1f}/s on average; answers refused: {dict(refused)}"
        + (
            f"; {workers} workers each keep the limit by themselves: until it is shared they "
            f"may send up to {workers}x it"
            if peak > limit
            else ""
        ),
    )


async def _check_sweeps(
    report: Report, options: Options, running: Cluster, pool: SessionPool, sweeps: SweepWatch
) -> None:
    enqueued: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for backend in running.backends:
        lines = _json_lines(backend.log())
        enqueued[backend.name] = sum(
            _int(line.get("count"))
            for line in lines
            if line.get("msg") == "course reminders enqueued"
        )
        skipped[backend.name] = sum(
            1 for line in lines if "another process is sweeping" in str(line.get("msg"))
        )
    per_teacher = await course_reminders_per_teacher(pool)
    doubled = sum(1 for count in per_teacher.values() if count > 1)
    ok = sweeps.most_at_once <= 1 and doubled == 0 and len(per_teacher) == options.teachers
    report.check(
        "exactly one sweeper per sweep",
        ok,
        f"sweep lock held by one backend at a time (most at once: {sweeps.most_at_once} in "
        f"{sweeps.samples} samples; {len(sweeps.holders)} sweeps seen holding it, by "
        f"{len(set(sweeps.holders))} backend connection(s)); sweeps that found the lock taken "
        f"and stood aside: {skipped}; reminders enqueued per backend log: {enqueued}; "
        f"{len(per_teacher)} teachers with a reminder row, {doubled} with more than one",
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                lines.append(entry)
    return lines


def _check_logs(report: Report, running: Cluster) -> None:
    found = []
    tracebacks = {}
    total = 0
    for process in running.processes:
        text = process.log()
        total += len(text.splitlines())
        found += [
            f"{name} in {process.name}" for name, value in running.secrets.items() if value in text
        ]
        tracebacks[process.name] = text.count("Traceback")
    report.check(
        "no secret in any process log",
        not found,
        f"looked for {', '.join(running.secrets)} in {total} log lines of "
        f"{len(running.processes)} processes: " + ("; ".join(found) if found else "none found"),
    )
    report.figures.append(f"tracebacks in the logs: {tracebacks}")


# 3. One bot process against several ------------------------------------------------------------


async def _compare_phases(
    report: Report,
    options: Options,
    running: Cluster,
    chosen: list[Profile],
    expected: dict[Profile, str | None],
) -> None:
    """Dialogs alone (the outbox is drained): on bot 1 only, then on every bot again."""
    chosen = chosen[: options.compare_dialogs or len(chosen)]
    others = running.bots[1:]
    await asyncio.gather(*(bot.stop() for bot in others))
    running.front.down.update(range(1, len(running.bots)))
    one = await dialogs(
        running.api,
        "1 bot",
        chosen,
        first_id=DIALOG_BASE + 1_000_000,
        bots=1,
        patience=options.step_patience,
        cpu=running.cpu,
    )
    report.phases.append(one)
    _check_dialogs(report, one, expected)
    await running.start(others)
    running.front.down.clear()
    many = await dialogs(
        running.api,
        f"{len(running.bots)} bots",
        chosen,
        first_id=DIALOG_BASE + 2_000_000,
        bots=len(running.bots),
        patience=options.step_patience,
        cpu=running.cpu,
    )
    report.phases.append(many)
    _check_dialogs(report, many, expected)


async def _forget_dialog_state(redis_url: str, bot_id: int) -> None:
    """Delete this run's dialog state (keys carry the run's own bot id)."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{REDIS_KEY_PREFIX}:{bot_id}:*")]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()
