"""Send limits shared by every delivery worker of one bot: in Redis, or in PostgreSQL.

Both keep the semantics of ``backend.delivery.limits``: an admitted send holds a place from its
admission until ``period`` after its answer (the global rate: ``capacity`` places; a group:
``per_group_per_minute`` places of 60 s), and a chat is free ``interval`` after its last answer.
Until the answer is recorded a send counts as in flight for ``in_flight_for`` seconds (the
worker's request timeout and a margin), so the places of a worker that crashed mid-send free
themselves, late rather than early. Time is the server's (Redis ``TIME``, PostgreSQL
``clock_timestamp()``), so the workers' clocks need not agree.

One admission is one round trip: a Lua script, or a PL/pgSQL function over two small UNLOGGED
tables (created by migration 0013) that also records the answers seen since the worker's last call.
Waiting for a place under the global rate polls: exactly until the oldest answered place frees,
or every ``POLL`` seconds while every place is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from backend.delivery.limits import Clock, LocalLimiter, SendLimiter, Ticket
from backend.settings import Settings

POLL = 0.01  # seconds between looks while every place is in flight
GROUP_PERIOD = 60.0
CHATS_KEPT = 120.0  # seconds a free chat's row or key is kept, then pruned


def bot_namespace(settings: Settings) -> str:
    """The limits belong to a bot token: its bot id (the digits before the colon)."""
    token = settings.bot.token
    return token.get_secret_value().partition(":")[0] if token is not None else "0"


class _Budget:
    """The configured limits as numbers of places and periods."""

    def __init__(self, global_rate: float, per_chat_interval: float, per_group: int) -> None:
        self.capacity = max(1, math.floor(global_rate))
        self.period = self.capacity / global_rate
        self.interval = per_chat_interval
        self.group_capacity = per_group


class _SharedLimiter:
    """What both shared limiters do around their one round trip."""

    def __init__(
        self,
        global_rate: float,
        per_chat_interval: float,
        per_group_per_minute: int,
        clock: Clock,
    ) -> None:
        self._budget = _Budget(global_rate, per_chat_interval, per_group_per_minute)
        self._clock = clock

    def ready_at(self, chat_id: int) -> float:
        return -math.inf  # only the shared state knows: ``admit`` says

    async def admit(self, chat_id: int, in_flight_for: float) -> Ticket | float:
        token = uuid.uuid4().hex
        while True:
            admitted, wait, chat_busy, in_flight = await self._try(chat_id, token, in_flight_for)
            if admitted is not None:
                return admitted
            if in_flight:  # the place frees when an answer comes: look again soon
                wait = min(wait, POLL)
            wait = max(wait, 0.001)
            if chat_busy:
                return self._clock() + wait
            await asyncio.sleep(wait)

    async def _try(
        self, chat_id: int, token: str, in_flight_for: float
    ) -> tuple[Ticket | None, float, bool, bool]:
        """(the ticket, or None and: seconds to wait, whether the chat or its group is what
        binds, whether the place in question is still in flight)."""
        raise NotImplementedError


# --- Redis -------------------------------------------------------------------------------------

# Recording answers: ARGV from ``first`` on are (token, chat id, sent) triples; the keys are
# made from ``prefix`` (one hash slot: the prefix's braces).
_RECORD = """
local function record(prefix, now, period, interval, first)
  for i = first, #ARGV, 3 do
    local token, chat, sent = ARGV[i], ARGV[i + 1], ARGV[i + 2] == '1'
    local chat_key = prefix .. ':chat:' .. chat
    local group_key = prefix .. ':group:' .. chat
    if sent then
      redis.call('ZADD', prefix .. ':global', 'XX', now + period, token)
      redis.call('SET', chat_key, tostring(now + interval) .. ':0', 'KEEPTTL')
      if string.sub(chat, 1, 1) == '-' then
        redis.call('ZADD', group_key, 'XX', now + 60, token)
      end
    else
      redis.call('ZREM', prefix .. ':global', token)
      redis.call('DEL', chat_key)
      redis.call('ZREM', group_key, token)
    end
  end
end
"""

# KEYS: global zset, chat key, group zset. Zset members are tokens scored by when they free.
# ARGV: token, capacity, period, in_flight_for, interval, group_capacity, is_group, prefix,
# then the answers seen since the last call (recorded first).
# Returns {admitted, wait, chat_busy, in_flight} (numbers as strings: Lua floats would be cut).
_ADMIT = (
    _RECORD
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
record(ARGV[8], now, tonumber(ARGV[3]), tonumber(ARGV[5]), 9)
local token = ARGV[1]
local capacity = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local hold = tonumber(ARGV[4])
local interval = tonumber(ARGV[5])
local group_capacity = tonumber(ARGV[6])
local is_group = ARGV[7] == '1'
local chat = redis.call('GET', KEYS[2])
if chat then
  local sep = string.find(chat, ':')
  local ready = tonumber(string.sub(chat, 1, sep - 1))
  if ready > now then
    return {0, tostring(ready - now), 1, string.sub(chat, sep + 1)}
  end
end
if is_group then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= group_capacity then
    local first = tonumber(redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2])
    return {0, tostring(first - now), 1, first > now + 60 and 1 or 0}
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= capacity then
  local first = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return {0, tostring(first - now), 0, first > now + period and 1 or 0}
end
local ttl = math.ceil((hold + math.max(period, interval, 60)) * 1000) + 1000
redis.call('ZADD', KEYS[1], now + hold + period, token)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], tostring(now + hold + interval) .. ':1', 'PX', ttl)
if is_group then
  redis.call('ZADD', KEYS[3], now + hold + 60, token)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return {1, '0', 0, 0}
"""
)

# ARGV: prefix, period, interval, then the answers.
_ANSWERED = (
    _RECORD
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
record(ARGV[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), 4)
return 1
"""
)


class RedisLimiter(_SharedLimiter):
    """The limits in Redis, under ``sanat:limits:{<namespace>}:…`` (one hash slot)."""

    def __init__(
        self,
        client: Redis,
        *,
        namespace: str,
        global_rate: float,
        per_chat_interval: float,
        per_group_per_minute: int,
        clock: Clock = time.monotonic,
        owns_client: bool = True,
    ) -> None:
        super().__init__(global_rate, per_chat_interval, per_group_per_minute, clock)
        self._client = client
        self._owns_client = owns_client
        self._prefix = f"sanat:limits:{{{namespace}}}"
        self._admit = client.register_script(_ADMIT)
        self._answered = client.register_script(_ANSWERED)
        self._done: list[tuple[str, int, bool]] = []  # answers not yet recorded

    def _keys(self, chat_id: int) -> list[str]:
        group = f"{self._prefix}:group:{chat_id}" if chat_id < 0 else ""
        return [f"{self._prefix}:global", f"{self._prefix}:chat:{chat_id}", group]

    async def _try(
        self, chat_id: int, token: str, in_flight_for: float
    ) -> tuple[Ticket | None, float, bool, bool]:
        budget = self._budget
        keys = self._keys(chat_id)
        is_group = chat_id < 0
        recorded = len(self._done)
        result: list[Any] = await self._admit(
            keys=keys,
            args=[
                token,
                budget.capacity,
                repr(budget.period),
                repr(in_flight_for),
                repr(budget.interval),
                budget.group_capacity,
                int(is_group),
                self._prefix,
                *self._answers(),
            ],
        )
        del self._done[:recorded]
        admitted, wait, chat_busy, in_flight = result
        if int(admitted):
            return Ticket(chat_id, token), 0.0, False, False
        return None, float(wait), bool(int(chat_busy)), bool(int(in_flight))

    def _answers(self) -> list[str | int]:
        return [part for token, chat, sent in self._done for part in (token, chat, int(sent))]

    async def answered(self, ticket: Ticket, *, sent: bool) -> None:
        """Recorded with the next call (the next admission, or ``prune`` after a batch)."""
        self._done.append((ticket.token, ticket.chat_id, sent))

    async def flush(self) -> None:
        if not self._done:
            return
        budget = self._budget
        recorded = len(self._done)
        await self._answered(
            keys=[f"{self._prefix}:global"],
            args=[self._prefix, repr(budget.period), repr(budget.interval), *self._answers()],
        )
        del self._done[:recorded]

    async def prune(self) -> None:
        await self.flush()  # every key expires by itself

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            if self._owns_client:
                await self._client.aclose()


# --- PostgreSQL ---------------------------------------------------------------------------------

# UNLOGGED: the limits are moments' state, not worth a WAL record (a crash of PostgreSQL empties
# them, which frees at most one second's worth early -- as a restarted worker would).
# Migration 0013 creates them; a limiter finding them missing (a database not migrated by
# Sanat's migrations) creates them itself. A change here needs a new migration.
PG_SCHEMA = [
    """CREATE UNLOGGED TABLE IF NOT EXISTS sanat_send_places (
        scope text NOT NULL, slot integer NOT NULL,
        busy_until timestamptz NOT NULL, holder text,
        PRIMARY KEY (scope, slot))""",
    # The free place is the first in this order: no walk over the busy ones.
    "CREATE INDEX IF NOT EXISTS sanat_send_places_free ON sanat_send_places (scope, busy_until)",
    """CREATE UNLOGGED TABLE IF NOT EXISTS sanat_send_chats (
        scope text NOT NULL, chat_id bigint NOT NULL,
        ready_at timestamptz NOT NULL, in_flight boolean NOT NULL, holder text,
        PRIMARY KEY (scope, chat_id))""",
    # The answers a worker has seen since its last call, as arrays (token, chat, slots, sent):
    # recorded at the server's time of the call, a moment after the answer -- late, never early.
    """CREATE OR REPLACE FUNCTION sanat_send_answered(
        p_scope text, p_period float8, p_interval float8, p_tokens text[], p_chats bigint[],
        p_global_slots integer[], p_group_slots integer[], p_sent boolean[])
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        now_ timestamptz := clock_timestamp();
    BEGIN
        IF coalesce(cardinality(p_tokens), 0) = 0 THEN
            RETURN;
        END IF;
        UPDATE sanat_send_places p SET holder = NULL, busy_until = CASE WHEN d.sent
                THEN now_ + make_interval(secs => p_period) ELSE now_ END
            FROM unnest(p_tokens, p_global_slots, p_sent) AS d(token, slot, sent)
            WHERE p.scope = p_scope AND p.slot = d.slot AND p.holder = d.token;
        UPDATE sanat_send_places p SET holder = NULL, busy_until = CASE WHEN d.sent
                THEN now_ + interval '60 seconds' ELSE now_ END
            FROM unnest(p_tokens, p_chats, p_group_slots, p_sent) AS d(token, chat, slot, sent)
            WHERE d.slot >= 0 AND p.scope = p_scope || ':group:' || d.chat
                AND p.slot = d.slot AND p.holder = d.token;
        UPDATE sanat_send_chats c SET holder = NULL, in_flight = false, ready_at = CASE
                WHEN d.sent THEN now_ + make_interval(secs => p_interval) ELSE now_ END
            FROM unnest(p_tokens, p_chats, p_sent) AS d(token, chat, sent)
            WHERE c.scope = p_scope AND c.chat_id = d.chat AND c.holder = d.token;
    END $$""",
    # Global place first (when the rate binds, most calls end at that one statement), then the
    # chat, then its group; a later refusal gives back what was taken (it was free before).
    """CREATE OR REPLACE FUNCTION sanat_send_admit(
        p_scope text, p_chat bigint, p_token text, p_capacity integer, p_period float8,
        p_hold float8, p_interval float8, p_group_capacity integer,
        p_tokens text[], p_chats bigint[], p_global_slots integer[], p_group_slots integer[],
        p_sent boolean[],
        OUT admitted boolean, OUT wait float8, OUT chat_busy boolean, OUT in_flight boolean,
        OUT global_slot integer, OUT group_slot integer)
    LANGUAGE plpgsql AS $$
    DECLARE
        now_ timestamptz;
        ready timestamptz;
        busy boolean;
        earliest timestamptz;
        taken boolean;
        g_scope text := p_scope || ':group:' || p_chat;
    BEGIN
        IF coalesce(cardinality(p_tokens), 0) > 0 THEN
            PERFORM sanat_send_answered(p_scope, p_period, p_interval, p_tokens, p_chats,
                p_global_slots, p_group_slots, p_sent);
        END IF;
        now_ := clock_timestamp();
        admitted := false; wait := 0; chat_busy := false; in_flight := false;
        global_slot := -1; group_slot := -1;
        UPDATE sanat_send_places SET
            busy_until = now_ + make_interval(secs => p_hold + p_period), holder = p_token
            WHERE (scope, slot) = (
                SELECT p.scope, p.slot FROM sanat_send_places p
                WHERE p.scope = p_scope AND p.busy_until <= now_ AND p.slot < p_capacity
                ORDER BY p.busy_until LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING slot INTO global_slot;
        IF global_slot IS NULL THEN
            SELECT min(p.busy_until) INTO earliest FROM sanat_send_places p
                WHERE p.scope = p_scope AND p.slot < p_capacity;
            wait := greatest(0, extract(epoch FROM earliest - now_));
            in_flight := earliest IS NULL OR earliest > now_ + make_interval(secs => p_period);
            global_slot := -1;
            RETURN;
        END IF;
        INSERT INTO sanat_send_chats AS c VALUES
            (p_scope, p_chat, now_ + make_interval(secs => p_hold + p_interval), true, p_token)
            ON CONFLICT (scope, chat_id) DO UPDATE SET
                ready_at = excluded.ready_at, in_flight = true, holder = excluded.holder
            WHERE c.ready_at <= now_
            RETURNING true INTO taken;
        IF taken IS NULL THEN
            SELECT c.ready_at, c.in_flight INTO ready, busy FROM sanat_send_chats c
                WHERE c.scope = p_scope AND c.chat_id = p_chat;
            wait := greatest(0, extract(epoch FROM ready - now_));
            chat_busy := true; in_flight := busy;
        ELSIF p_chat < 0 THEN  -- the chat's row, now held, serialises its group's places
            INSERT INTO sanat_send_places
                SELECT g_scope, s, '-infinity', NULL
                FROM generate_series(0, p_group_capacity - 1) s
                ON CONFLICT DO NOTHING;
            UPDATE sanat_send_places SET
                busy_until = now_ + make_interval(secs => p_hold + 60), holder = p_token
                WHERE (scope, slot) = (
                    SELECT p.scope, p.slot FROM sanat_send_places p
                    WHERE p.scope = g_scope AND p.slot < p_group_capacity
                        AND p.busy_until <= now_
                    ORDER BY p.slot LIMIT 1)
                RETURNING slot INTO group_slot;
            IF group_slot IS NULL THEN
                SELECT min(p.busy_until) INTO earliest FROM sanat_send_places p
                    WHERE p.scope = g_scope AND p.slot < p_group_capacity;
                wait := greatest(0, extract(epoch FROM earliest - now_)); chat_busy := true;
                in_flight := earliest > now_ + interval '60 seconds'; group_slot := -1;
                UPDATE sanat_send_chats SET ready_at = now_, in_flight = false, holder = NULL
                    WHERE scope = p_scope AND chat_id = p_chat;
            END IF;
        END IF;
        IF chat_busy THEN
            UPDATE sanat_send_places SET busy_until = now_, holder = NULL
                WHERE scope = p_scope AND slot = global_slot;
            global_slot := -1;
            RETURN;
        END IF;
        admitted := true;
    END $$""",
]
_PG_SETUP = ["SELECT pg_advisory_xact_lock(hashtext('sanat_send_limits'))", *PG_SCHEMA]
# All there (as after migration 0013): the limiter needs no right to create anything.
_PG_SCHEMA_PRESENT = (
    "SELECT to_regclass('sanat_send_places') IS NOT NULL"
    " AND to_regclass('sanat_send_chats') IS NOT NULL"
    " AND to_regprocedure('sanat_send_admit(text, bigint, text, integer, float8, float8, float8,"
    " integer, text[], bigint[], integer[], integer[], boolean[])') IS NOT NULL"
    " AND to_regprocedure('sanat_send_answered(text, float8, float8, text[], bigint[],"
    " integer[], integer[], boolean[])') IS NOT NULL"
)

# With the types spelt out, a call names one function even beside an older overload.
_ANSWERS = "$4::text[], $5::bigint[], $6::integer[], $7::integer[], $8::boolean[]"
_ANSWERED_SQL = f"SELECT sanat_send_answered($1::text, $2::float8, $3::float8, {_ANSWERS})"
_ADMIT_SQL = (
    "SELECT * FROM sanat_send_admit($1::text, $9::bigint, $10::text, $11::integer, "
    f"$2::float8, $12::float8, $3::float8, $13::integer, {_ANSWERS})"
)


def asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` as asyncpg's own ``postgresql://…``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresLimiter(_SharedLimiter):
    """The limits in two UNLOGGED tables, ``sanat_send_places`` (the places under the global
    rate and each group's minute, scope ``<namespace>`` and ``<namespace>:group:<chat>``) and
    ``sanat_send_chats``, changed only by the functions ``sanat_send_admit`` and
    ``sanat_send_answered``, created by migration 0013 (or on first use where missing): they
    hold seconds' worth of state, no other code reads them, and no model maps them.

    Per send one round trip on a connection of the limiter's own: an answer is recorded by the
    worker's next call (the next admission, or ``prune`` after a batch), in the same statement.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        global_rate: float,
        per_chat_interval: float,
        per_group_per_minute: int,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(global_rate, per_chat_interval, per_group_per_minute, clock)
        self._dsn = asyncpg_dsn(url)
        self._scope = namespace
        self._connection: asyncpg.Connection | None = None
        self._use = asyncio.Lock()
        self._done: list[tuple[str, int, int, int, bool]] = []  # answers not yet recorded

    @contextlib.asynccontextmanager
    async def _connected(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._use:
            if self._connection is None:
                connection = await asyncpg.connect(self._dsn)
                try:
                    async with connection.transaction():
                        if not await connection.fetchval(_PG_SCHEMA_PRESENT):
                            for statement in _PG_SETUP:
                                await connection.execute(statement)
                        await connection.execute(
                            "INSERT INTO sanat_send_places SELECT $1, s, '-infinity', NULL "
                            "FROM generate_series(0, $2 - 1) s ON CONFLICT DO NOTHING",
                            self._scope,
                            self._budget.capacity,
                        )
                except BaseException:
                    await connection.close()
                    raise
                self._connection = connection
            try:
                yield self._connection
            except BaseException:
                await self._drop()  # a broken or cancelled connection is not reused
                raise

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=1)

    def _answers(self) -> list[Any]:
        done = self._done
        return [
            [d[0] for d in done],
            [d[1] for d in done],
            [d[2] for d in done],
            [d[3] for d in done],
            [d[4] for d in done],
        ]

    async def _try(
        self, chat_id: int, token: str, in_flight_for: float
    ) -> tuple[Ticket | None, float, bool, bool]:
        budget = self._budget
        async with self._connected() as connection:
            recorded = len(self._done)
            row = await connection.fetchrow(
                _ADMIT_SQL,
                self._scope,
                budget.period,
                budget.interval,
                *self._answers(),
                chat_id,
                token,
                budget.capacity,
                in_flight_for,
                budget.group_capacity,
            )
            del self._done[:recorded]
        assert row is not None
        admitted, wait, chat_busy, in_flight, global_slot, group_slot = row
        if admitted:
            ticket = Ticket(chat_id, token, global_slot, group_slot)
            return ticket, 0.0, False, False
        return None, float(wait), bool(chat_busy), bool(in_flight)

    async def answered(self, ticket: Ticket, *, sent: bool) -> None:
        self._done.append(
            (ticket.token, ticket.chat_id, ticket.global_slot, ticket.group_slot, sent)
        )

    async def flush(self) -> None:
        """Record the answers seen since the last call."""
        if not self._done:
            return
        budget = self._budget
        async with self._connected() as connection:
            recorded = len(self._done)
            await connection.execute(
                _ANSWERED_SQL, self._scope, budget.period, budget.interval, *self._answers()
            )
            del self._done[:recorded]

    async def prune(self) -> None:
        """Record what was answered; forget chats and groups free for a while (they are made
        again when needed)."""
        await self.flush()
        async with self._connected() as connection:
            await connection.execute(
                "DELETE FROM sanat_send_chats WHERE scope = $1 AND NOT in_flight "
                "AND ready_at < clock_timestamp() - make_interval(secs => $2)",
                self._scope,
                CHATS_KEPT,
            )
            await connection.execute(
                "DELETE FROM sanat_send_places WHERE scope LIKE $1 "
                "AND busy_until < clock_timestamp() - make_interval(secs => $2)",
                self._scope + ":group:%",
                CHATS_KEPT,
            )

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            async with self._use:
                await self._drop()


def create_send_limiter(settings: Settings, clock: Clock = time.monotonic) -> SendLimiter:
    """The limiter ``SANAT_DELIVERY_LIMITER`` asks for; ``auto``: Redis when ``SANAT_REDIS_URL``
    is set, else PostgreSQL when the database is, else this process's own (SQLite: one worker).
    """
    delivery = settings.delivery
    rate, interval, group = (
        delivery.global_rate,
        delivery.per_chat_interval,
        delivery.per_group_per_minute,
    )
    kind = delivery.limiter
    if kind == "auto":
        if settings.redis.url:
            kind = "redis"
        elif not settings.database.is_sqlite:
            kind = "postgres"
        else:
            kind = "local"
    namespace = bot_namespace(settings)
    if kind == "redis":
        if not settings.redis.url:
            raise ValueError("SANAT_DELIVERY_LIMITER=redis needs SANAT_REDIS_URL")
        client = Redis.from_url(settings.redis.url)
        return RedisLimiter(
            client,
            namespace=namespace,
            global_rate=rate,
            per_chat_interval=interval,
            per_group_per_minute=group,
            clock=clock,
        )
    if kind == "postgres":
        if settings.database.is_sqlite:
            raise ValueError("SANAT_DELIVERY_LIMITER=postgres needs a PostgreSQL database")
        return PostgresLimiter(
            settings.database.url,
            namespace=namespace,
            global_rate=rate,
            per_chat_interval=interval,
            per_group_per_minute=group,
            clock=clock,
        )
    return LocalLimiter(rate, interval, group, clock)
