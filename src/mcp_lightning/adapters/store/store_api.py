"""Store methods of the scoring API: API keys, node scores per snapshot, background jobs (migration 0003).

``ApiStore(store)`` shares the ``Store``'s engine, sessions and error wrapping: every database
failure reaches the caller as a ``StoreError`` naming the operation and the URL without password.
The API opens its ``Store`` with ``open_store(..., pool=PoolOptions(...))`` (configurable
PostgreSQL pool sizes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from mcp_lightning.adapters.store.store import (
    Store,
)
from mcp_lightning.adapters.store.tables import ApiKeyRow, NodeScoreRow, ScoreJobRow
from mcp_lightning.errors import StoreError
from mcp_lightning.scoring.node_scores import SCORING_VERSION, ScoreTable

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A stored API key (never the secret: ``key_hash`` is sha256(salt || secret), hex)."""

    key_id: str
    name: str
    scopes: tuple[str, ...]
    salt: str
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScoreJob:
    """A background job: ``kind`` ``"batch"`` or ``"recalculate"``; ``status`` queued/running/done/failed."""

    job_id: str
    kind: str
    status: str
    request: JsonObject
    result: JsonObject | None
    error: str | None
    key_id: str | None
    created_at: datetime
    finished_at: datetime | None = None


class ApiStore:
    """API keys, node scores and jobs, on the tables of migration 0003, through an open ``Store``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sessions = store._sessions
        self.url = store.url

    @property
    def engine(self) -> Engine:
        """The store's engine (for the pool's status in ``/health``)."""
        return self._store._engine

    def ping(self) -> None:
        """Run ``SELECT 1``.

        Raises:
            StoreError: when the database does not answer.
        """
        with self._store._guard("checking the database"), self._sessions() as session:
            session.execute(text("SELECT 1"))

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a new API key (its hash).

        Raises:
            StoreError: when it cannot be written (e.g. the key id exists).
        """
        with self._store._guard(f"storing API key {record.key_id}"), self._sessions.begin() as session:
            session.add(ApiKeyRow(key_id=record.key_id, name=record.name, scopes=list(record.scopes),
                                  salt=record.salt, key_hash=record.key_hash, created_at=record.created_at,
                                  revoked_at=record.revoked_at))

    def find_api_key(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this id, revoked or not; None when unknown."""
        with self._store._guard(f"reading API key {key_id}"), self._sessions() as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else _key_from_row(row)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        """Every key, oldest first."""
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        with self._store._guard("listing API keys"), self._sessions() as session:
            return [_key_from_row(row) for row in session.scalars(stmt)]

    def revoke_api_key(self, key_id: str, at: datetime) -> bool:
        """Mark a key revoked at ``at``; False when no active key has this id."""
        stmt = (update(ApiKeyRow).where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=at))
        with self._store._guard(f"revoking API key {key_id}"), self._sessions.begin() as session:
            return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult

    def has_node_scores(self, graph_fingerprint: str) -> bool:
        """True when the scores of this snapshot (and this scoring version) are stored."""
        stmt = select(NodeScoreRow.id).where(NodeScoreRow.graph_fingerprint == graph_fingerprint,
                                             NodeScoreRow.scoring_version == SCORING_VERSION).limit(1)
        with self._store._guard("looking up stored node scores"), self._sessions() as session:
            return session.execute(stmt).first() is not None

    def save_node_scores(self, table: ScoreTable, computed_at: datetime) -> int:
        """Store every node's scores of a snapshot once (a second call for the same snapshot writes nothing).

        Returns:
            Rows written (0 when the snapshot was already stored, by this or another process).

        Raises:
            StoreError: when the rows cannot be written.
        """
        if self.has_node_scores(table.graph_fingerprint):
            return 0
        rows = _score_rows(table, computed_at)
        try:
            with self._store._guard("storing node scores"), self._sessions.begin() as session:
                session.execute(insert(NodeScoreRow), rows)
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):  # another worker stored the same snapshot first
                return 0
            raise
        return len(rows)

    def create_job(self, job: ScoreJob) -> None:
        """Store a new job.

        Raises:
            StoreError: when it cannot be written.
        """
        with self._store._guard(f"creating job {job.job_id}"), self._sessions.begin() as session:
            session.add(ScoreJobRow(job_id=job.job_id, kind=job.kind, status=job.status, request=job.request,
                                    result=job.result, error=job.error, key_id=job.key_id,
                                    created_at=job.created_at, finished_at=job.finished_at))

    def update_job(self, job_id: str, *, status: str, result: JsonObject | None = None, error: str | None = None,
                   finished_at: datetime | None = None) -> None:
        """Set a job's status (and its result, error and end time when given)."""
        values: JsonObject = {"status": status, "result": result, "error": error, "finished_at": finished_at}
        stmt = update(ScoreJobRow).where(ScoreJobRow.job_id == job_id).values(**values)
        with self._store._guard(f"updating job {job_id}"), self._sessions.begin() as session:
            session.execute(stmt)

    def get_job(self, job_id: str) -> ScoreJob | None:
        """The job with this id, or None."""
        with self._store._guard(f"reading job {job_id}"), self._sessions() as session:
            row = session.get(ScoreJobRow, job_id)
            return None if row is None else _job_from_row(row)

    def latest_finished_job(self, kind: str) -> ScoreJob | None:
        """The newest job of ``kind`` that finished with status ``done``, or None."""
        stmt = (select(ScoreJobRow).where(ScoreJobRow.kind == kind, ScoreJobRow.status == "done")
                .order_by(ScoreJobRow.finished_at.desc()).limit(1))
        with self._store._guard(f"reading the latest {kind} job"), self._sessions() as session:
            row = session.scalars(stmt).first()
            return None if row is None else _job_from_row(row)


def _key_from_row(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(key_id=row.key_id, name=row.name, scopes=tuple(str(s) for s in row.scopes), salt=row.salt,
                        key_hash=row.key_hash, created_at=row.created_at, revoked_at=row.revoked_at)


def _job_from_row(row: ScoreJobRow) -> ScoreJob:
    return ScoreJob(job_id=row.job_id, kind=row.kind, status=row.status, request=dict(row.request),
                    result=None if row.result is None else dict(row.result), error=row.error, key_id=row.key_id,
                    created_at=row.created_at, finished_at=row.finished_at)


def _score_rows(table: ScoreTable, computed_at: datetime) -> list[JsonObject]:
    f = table.features
    fees = f.median_fee_rate_ppm.tolist()
    columns = {name: column.tolist() for name, column in table.scores.items()}
    shared = {"graph_fingerprint": table.graph_fingerprint, "scoring_version": SCORING_VERSION,
              "snapshot_at": table.taken_at, "computed_at": computed_at}
    return [{**shared, "node_pubkey": pubkey, "alias": f.aliases[i], "n_channels": int(f.n_channels[i]),
             "capacity_sat": int(f.capacity_sat[i]), "median_fee_rate_ppm": None if fees[i] != fees[i] else fees[i],
             "rank": int(table.rank[i]), **{name: values[i] for name, values in columns.items()}}
            for i, pubkey in enumerate(f.pubkeys)]
