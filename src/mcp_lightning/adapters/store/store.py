"""The run store: runs, decisions and policy changes in SQLite (default) or PostgreSQL.

``open_store`` builds the engine, upgrades the schema to the newest migration and returns a
``Store`` (which implements ``engine.ports.RunStore``). Every database failure reaches the caller as
a ``StoreError`` naming the operation and the URL without its password.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import URL, Engine, Integer, create_engine, event, func, literal, make_url, select
from sqlalchemy.exc import (
    ArgumentError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.orm import sessionmaker

from mcp_lightning.adapters.store.migrate import SchemaVersionError, upgrade_to_head
from mcp_lightning.adapters.store.records import (
    StoredDecision,
    change_from_row,
    change_to_row,
    counters_from_facts,
    decision_to_row,
    run_from_row,
    run_to_row,
    stored_from_row,
)
from mcp_lightning.adapters.store.store_backups import BackupMethods
from mcp_lightning.adapters.store.store_execution import ExecutionMethods
from mcp_lightning.adapters.store.tables import DecisionRow, PolicyChangeRow, RunRow
from mcp_lightning.engine.plan import PlannedDecision, PolicyChange, RunSummary
from mcp_lightning.engine.unserved import CounterReading
from mcp_lightning.errors import ConfigError, InputError, StoreError

DEFAULT_SQLITE_NAME = "mcpln.sqlite3"
URL_EXAMPLES = "sqlite:////var/lib/mcpln/mcpln.sqlite3 or postgresql+psycopg://user@127.0.0.1:5432/mcpln"
_WRAPPED = (SQLAlchemyError, SchemaVersionError, ValueError, KeyError, TypeError, OverflowError)
_json_dumps = functools.partial(json.dumps, allow_nan=False, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """Connection pool of a PostgreSQL store (SQLite keeps SQLAlchemy's defaults).

    Attributes:
        size: connections kept open (>= 1).
        max_overflow: extra connections opened under load (>= 0).
        timeout_s: how long a request waits for a free connection, s.
        connect_timeout_s: how long opening a connection may take, s (a dead server fails fast).
    """

    size: int = 5
    max_overflow: int = 10
    timeout_s: float = 5.0
    connect_timeout_s: int = 3


def open_store(url: str | None = None, *, default_dir: Path, pool: PoolOptions | None = None) -> Store:
    """Open the store, creating or upgrading its schema to the newest migration.

    Args:
        url: SQLAlchemy database URL (``MCPLN_DATABASE_URL``); ``postgresql://`` means psycopg 3.
            None -> ``sqlite:///<default_dir>/mcpln.sqlite3``.
        default_dir: directory of the default SQLite file; created when missing.
        pool: PostgreSQL pool sizes and timeouts (the API's settings); None: SQLAlchemy's defaults.

    Returns:
        An open store; close it with ``close()`` or use it as a context manager.

    Raises:
        ConfigError: when the URL cannot be parsed or names an unknown database.
        StoreError: when the database cannot be reached, created or migrated.
    """
    if url is None:
        try:
            default_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {default_dir}: {exc.strerror}",
                             hint="make it writable, or point MCPLN_DATABASE_URL elsewhere") from exc
        parsed = URL.create("sqlite", database=str(default_dir / DEFAULT_SQLITE_NAME))
    else:
        parsed = _parse_url(url)
    engine = _create_engine(parsed, pool)
    store = Store(engine)
    try:
        with store._guard("upgrading the schema"):
            upgrade_to_head(engine)
    except StoreError:
        engine.dispose()
        raise
    return store


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError("the database URL could not be parsed", hint=f"use e.g. {URL_EXAMPLES}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: URL) -> str:
    """The URL as text with its password, and any ``*password*`` query parameter, shown as ``***``."""
    hidden = {key: "***" for key in url.query if "password" in key.lower()}
    shown = url.update_query_dict(hidden).render_as_string(hide_password=True)
    return shown.replace("=%2A%2A%2A", "=***")


def _create_engine(url: URL, pool: PoolOptions | None) -> Engine:
    shown = safe_url(url)
    sqlite = url.get_backend_name() == "sqlite"
    options: dict[str, Any] = {"pool_pre_ping": not sqlite}
    if pool is not None and not sqlite:
        options.update(pool_size=pool.size, max_overflow=pool.max_overflow, pool_timeout=pool.timeout_s,
                       connect_args={"connect_timeout": pool.connect_timeout_s})
    try:
        engine = create_engine(url, json_serializer=_json_dumps, **options)
    except NoSuchModuleError as exc:
        raise ConfigError(f"unknown database type in {shown}", hint=f"use e.g. {URL_EXAMPLES}") from exc
    except ImportError as exc:
        raise StoreError(f"the driver for {shown} is not installed ({exc.name})",
                         hint="pip install 'mcp-lightning[postgres]'") from exc
    if sqlite:
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store(ExecutionMethods, BackupMethods):
    """Runs, decisions and policy changes in one database (implements ``engine.ports.RunStore``).

    The execution tables (transactions, backups, approvals, kill switch, secrets) are reached through
    the methods of ``ExecutionMethods`` and ``BackupMethods`` (``execution.ports.ExecutionStore``).

    Build it with ``open_store``. Methods are synchronous; each opens its own session from the
    engine's pool, so one store can be shared by threads (the API and the scheduler).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.url = safe_url(engine.url)
        """The database URL with its password masked (``***``), for messages and logs."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        """Turn a database or mapping failure inside the block into a ``StoreError``.

        Raises:
            StoreError: ``"<operation> failed on <url without password>: <cause>"``.
        """
        try:
            yield
        except _WRAPPED as exc:
            raise StoreError(f"{operation} failed on {self.url}: {self._cause(exc)}",
                             hint=_hint_for(exc)) from exc

    def _cause(self, exc: BaseException) -> str:
        if isinstance(exc, StatementError) and exc.orig is not None:
            exc = exc.orig
        lines = str(exc).strip().splitlines()
        cause = lines[0] if lines else type(exc).__name__
        url = self._engine.url
        for secret in [url.password, *(v for k, v in url.query.items() if "password" in k.lower())]:
            if secret:
                cause = cause.replace(str(secret), "***")
        return cause

    def record_run(self, run: RunSummary, planned: Sequence[PlannedDecision]) -> None:
        """Write the run and all its decisions in one transaction (all or nothing).

        Raises:
            StoreError: when anything cannot be written (duplicate run id, NaN score, naive
                datetime, chan_id outside uint64, database down); nothing of the run is kept.
        """
        with self._guard(f"recording run {run.run_id}"), self._sessions.begin() as session:
            session.add(run_to_row(run))
            session.flush()  # the run row goes first: decisions reference it
            session.add_all([decision_to_row(p, run) for p in planned])

    def list_runs(self, limit: int = 20, node_pubkey: str | None = None) -> list[RunSummary]:
        """The ``limit`` most recent runs, newest ``started_at`` first, optionally of one node."""
        stmt = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.run_id.desc()).limit(limit)
        if node_pubkey is not None:
            stmt = stmt.where(RunRow.node_pubkey == node_pubkey)
        with self._guard("listing runs"), self._sessions() as session:
            return [run_from_row(row) for row in session.scalars(stmt)]

    def find_run(self, prefix: str) -> RunSummary:
        """The run whose id starts with ``prefix`` (users type the first 8 characters).

        Raises:
            InputError: when no run or more than one run matches.
            StoreError: when the database cannot be read.
        """
        prefix = prefix.strip()
        if not prefix:
            raise InputError("no run id given",
                             hint="type the first 8 characters of a run id from `mcpln history`")
        # substr, not LIKE: SQLite's LIKE ignores case and would match differently from PostgreSQL
        stmt = select(RunRow).where(func.substr(RunRow.run_id, 1, literal(len(prefix), Integer)) == prefix)
        with self._guard(f"looking up run {prefix!r}"), self._sessions() as session:
            rows = list(session.scalars(stmt.order_by(RunRow.run_id).limit(3)))
            runs = [run_from_row(row) for row in rows]
        if len(runs) == 1:
            return runs[0]
        if not runs:
            raise InputError(f"no run id starts with {prefix!r} in {self.url}",
                             hint="list recent runs with `mcpln history`")
        shown = ", ".join(r.run_id[: max(len(prefix) + 4, 12)] for r in runs[:2])
        raise InputError(f"run id prefix {prefix!r} matches more than one run ({shown}, ...)",
                         hint="type more characters of the run id")

    def run_decisions(self, run_id: str) -> list[StoredDecision]:
        """The decisions of one run, in the order they were planned (empty for an unknown run)."""
        stmt = select(DecisionRow).where(DecisionRow.run_id == run_id).order_by(DecisionRow.id)
        with self._guard(f"reading the decisions of run {run_id}"), self._sessions() as session:
            return [stored_from_row(row) for row in session.scalars(stmt)]

    def counter_baseline(self, node_pubkey: str, now: datetime, window_days: float = 7.0) -> CounterReading | None:
        """The HTLC counters recorded by the run to measure a ``window_days`` window from.

        The newest run of ``node_pubkey`` evaluated at or before ``now - window``, else its oldest
        run evaluated before ``now`` (see ``engine.unserved.pick_baseline``); None without one.

        Returns:
            ``(evaluated_at, chan_id -> HtlcCounters)`` of the channels whose counters it recorded.
        """
        start = now - timedelta(days=window_days)
        by_node = select(RunRow).where(RunRow.node_pubkey == node_pubkey)
        newest_before = by_node.where(RunRow.evaluated_at <= start).order_by(RunRow.evaluated_at.desc()).limit(1)
        oldest = by_node.where(RunRow.evaluated_at < now).order_by(RunRow.evaluated_at).limit(1)
        with self._guard("reading earlier HTLC counters"), self._sessions() as session:
            run = session.scalars(newest_before).first() or session.scalars(oldest).first()
            if run is None:
                return None
            stmt = select(DecisionRow.chan_id, DecisionRow.facts).where(DecisionRow.run_id == run.run_id)
            rows = session.execute(stmt)
            counters = {int(chan_id): c for chan_id, facts in rows if (c := counters_from_facts(facts)) is not None}
            return run.evaluated_at, counters

    def decisions_for_channel(self, chan_id: int, limit: int = 50) -> list[StoredDecision]:
        """The ``limit`` most recent decisions about one channel (uint64 ``chan_id``), newest first."""
        stmt = (select(DecisionRow).where(DecisionRow.chan_id == chan_id)
                .order_by(DecisionRow.created_at.desc(), DecisionRow.id.desc()).limit(limit))
        with self._guard(f"reading the decisions of channel {chan_id}"), self._sessions() as session:
            return [stored_from_row(row) for row in session.scalars(stmt)]

    def record_policy_change(self, change: PolicyChange, node_pubkey: str, status: str) -> None:
        """Record a policy change sent to ``node_pubkey`` with the executor's ``status``.

        Raises:
            StoreError: when it cannot be written (e.g. ``run_id`` names no recorded run).
        """
        with self._guard(f"recording a policy change of channel {change.chan_id}"), \
                self._sessions.begin() as session:
            session.add(change_to_row(change, node_pubkey, status))

    def policy_changes_since(self, since: datetime, *, node_pubkey: str | None = None) -> list[PolicyChange]:
        """Policy changes applied at or after ``since`` (UTC), oldest first, whatever their status.

        Args:
            since: timezone-aware lower bound, inclusive.
            node_pubkey: only the changes sent to this node, when given.
        """
        stmt = (select(PolicyChangeRow).where(PolicyChangeRow.applied_at >= since)
                .order_by(PolicyChangeRow.applied_at, PolicyChangeRow.id))
        if node_pubkey is not None:
            stmt = stmt.where(PolicyChangeRow.node_pubkey == node_pubkey)
        with self._guard("reading policy changes"), self._sessions() as session:
            return [change_from_row(row) for row in session.scalars(stmt)]


def _hint_for(exc: BaseException) -> str | None:
    if isinstance(exc, SchemaVersionError):
        return "the database holds a schema this version does not know: upgrade mcp-lightning"
    if isinstance(exc, OperationalError | InterfaceError):
        return "check that the database is reachable and writable, and MCPLN_DATABASE_URL"
    return None
