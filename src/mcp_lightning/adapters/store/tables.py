"""The database schema: every table of the store, as SQLAlchemy 2 typed declarative classes.

Adding a table is routine:

1. add a ``class XxxRow(Base)`` here (``Mapped[...]`` columns; use ``UtcDateTime``, ``ChanId``,
   ``FiniteFloat`` and ``JSON_VALUE`` for datetimes, channel ids, floats and JSON);
2. generate its migration with
   ``python -m mcp_lightning.adapters.store.revision "add xxx"`` and review it;
3. the test ``test_migrations_produce_exactly_the_table_metadata`` fails until both agree.

Conventions kept by every table:

* datetimes are timezone-aware UTC in and out (SQLite keeps no tzinfo: ``UtcDateTime`` stores naive
  UTC there and re-attaches UTC on read; a naive datetime is refused on write);
* ``chan_id`` is LND's uint64 channel id. SQL has no unsigned 64-bit integer, so ``ChanId`` stores
  it as its two's-complement int64: ids up to 2^63-1 (funding block < 8,388,608) are stored as they
  are, larger ones (LND's SCID aliases start at block 16,000,000) are stored negative and come back
  exact. Raw SQL sees negative values for those; ``scid`` text columns stay readable;
* JSON columns hold plain JSON (``json`` on PostgreSQL, text on SQLite) so key order and float text
  survive a round trip identically on both backends; an absent value is SQL NULL;
* strings are unbounded (``VARCHAR`` without length) so SQLite and PostgreSQL accept the same data;
* constraint and index names follow ``NAMING_CONVENTION`` so batch migrations on SQLite can refer
  to them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Dialect,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_UINT64_LIMIT = 1 << 64
_INT64_LIMIT = 1 << 63


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (naive datetimes are refused on write)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"datetime {value.isoformat()} has no timezone; the store takes UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ChanId(TypeDecorator[int]):
    """LND's uint64 ``chan_id`` stored as its two's-complement int64 (see the module docstring)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not 0 <= value < _UINT64_LIMIT:
            raise ValueError(f"chan_id {value} is not a uint64 (0 <= chan_id < 2^64)")
        return value - _UINT64_LIMIT if value >= _INT64_LIMIT else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return value + _UINT64_LIMIT if value < 0 else value


class FiniteFloat(TypeDecorator[float]):
    """A double that refuses NaN and infinities (SQLite would store NaN as NULL, PostgreSQL as NaN)."""

    impl = Double
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"value {value} is not a finite number")
        return value


JSON_VALUE = JSON(none_as_null=True)
"""The JSON column type: Python ``None`` is stored as SQL NULL."""


class Base(DeclarativeBase):
    """Declarative base of every table; ``Base.metadata`` is what migrations must produce."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute by name
        datetime: UtcDateTime(),
        str: String(),
        float: FiniteFloat(),
        dict[str, Any]: JSON_VALUE,
        list[Any]: JSON_VALUE,
    }


class RunRow(Base):
    """One ``mcpln run`` (mirrors ``engine.plan.RunSummary``)."""

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    evaluated_at: Mapped[datetime]
    mode: Mapped[str]
    profile: Mapped[str]
    node_pubkey: Mapped[str]
    node_alias: Mapped[str]
    node_source: Mapped[str]
    graph_source: Mapped[str]
    graph_fingerprint: Mapped[str]
    config_fingerprint: Mapped[str]
    n_channels: Mapped[int]
    n_skipped: Mapped[int]
    decision_counts: Mapped[dict[str, Any]]

    __table_args__ = (Index(None, "node_pubkey", "started_at"),)


class DecisionRow(Base):
    """One channel's decision in a run, with its safety result and the facts it was made on."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), index=True)
    chan_id: Mapped[int] = mapped_column(ChanId())
    scid: Mapped[str | None]
    node_pubkey: Mapped[str]
    peer_pubkey: Mapped[str]
    decision: Mapped[str]
    confidence: Mapped[float]
    composite_score: Mapped[float]
    scores: Mapped[dict[str, Any]]  # {name: {value, weight, reason}} in the decision's order
    reasons: Mapped[list[Any]]
    current_policy: Mapped[dict[str, Any] | None]
    proposed_policy: Mapped[dict[str, Any] | None]
    safety_verdict: Mapped[str]
    safety_rule: Mapped[str | None]
    safety_reason: Mapped[str | None]
    safety_notes: Mapped[list[Any]]
    final_proposed_policy: Mapped[dict[str, Any] | None]
    rebalance: Mapped[dict[str, Any] | None]
    close_reason: Mapped[str | None]
    facts: Mapped[dict[str, Any]]
    inputs_fingerprint: Mapped[str]
    created_at: Mapped[datetime]

    __table_args__ = (
        Index(None, "node_pubkey", "decision", "created_at"),
        Index(None, "chan_id", "created_at"),
    )


class PolicyChangeRow(Base):
    """A policy change sent to a node (written by the executor)."""

    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    chan_id: Mapped[int] = mapped_column(ChanId())
    node_pubkey: Mapped[str]
    applied_at: Mapped[datetime]
    old_policy: Mapped[dict[str, Any] | None]
    new_policy: Mapped[dict[str, Any]]
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.run_id", ondelete="SET NULL"))
    status: Mapped[str]

    __table_args__ = (Index(None, "chan_id", "applied_at"),)


# --- execution (migration 0002): transactions, their channels, backups, approvals, kill switch, secrets ---


class BackupRow(Base):
    """A versioned snapshot of channel policies with the sha256 of its canonical JSON.

    Hot backups keep the JSON in ``payload``; warm and cold ones keep it gzip-compressed in
    ``payload_gz`` (exactly one of the two is set). The checksum covers the uncompressed JSON.
    """

    __tablename__ = "backups"

    backup_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    node_pubkey: Mapped[str]
    version: Mapped[int]
    created_at: Mapped[datetime]
    label: Mapped[str]
    tier: Mapped[str]
    checksum_sha256: Mapped[str]
    n_channels: Mapped[int]
    payload: Mapped[dict[str, Any] | None]
    payload_gz: Mapped[bytes | None] = mapped_column(LargeBinary())

    __table_args__ = (UniqueConstraint("node_pubkey", "version"), Index(None, "created_at"))


class TransactionRow(Base):
    """One batch of policy writes to a node (mirrors ``execution.model.Transaction``)."""

    __tablename__ = "transactions"

    tx_id: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str]
    mode: Mapped[str]
    status: Mapped[str]
    node_pubkey: Mapped[str]
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.run_id", ondelete="SET NULL"))
    parent_tx_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.tx_id", ondelete="SET NULL"))
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("backups.backup_id", ondelete="SET NULL"))
    atomic: Mapped[bool]
    reason: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    owner: Mapped[str | None]  # "host:pid" of the process running it (recovery leaves a live owner alone)

    __table_args__ = (Index(None, "status", "node_pubkey"), Index(None, "created_at"))


class TransactionChannelRow(Base):
    """One channel of a transaction and the last step it reached (``execution.model.ChannelStep``)."""

    __tablename__ = "transaction_channels"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tx_id: Mapped[str] = mapped_column(ForeignKey("transactions.tx_id", ondelete="CASCADE"))
    seq: Mapped[int]
    chan_id: Mapped[int] = mapped_column(ChanId())
    status: Mapped[str]
    target_policy: Mapped[dict[str, Any]]
    expected_policy: Mapped[dict[str, Any] | None]
    backup_policy: Mapped[dict[str, Any] | None]
    observed_policy: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None]
    n_attempts: Mapped[int]
    policy_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_changes.id", ondelete="SET NULL"))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.approval_id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("tx_id", "chan_id"), Index(None, "chan_id", "updated_at"))


class ApprovalRow(Base):
    """A proposed change waiting for a human decision (``execution.model.Approval``)."""

    __tablename__ = "approvals"

    approval_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    node_pubkey: Mapped[str]
    chan_id: Mapped[int] = mapped_column(ChanId())
    peer_pubkey: Mapped[str]
    current_policy: Mapped[dict[str, Any] | None]
    proposed_policy: Mapped[dict[str, Any]]
    status: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None]
    tx_id: Mapped[str | None]

    __table_args__ = (Index(None, "status", "expires_at"),)


class KillSwitchRow(Base):
    """The kill switch (one row, ``name = "global"``): while engaged no policy is written."""

    __tablename__ = "kill_switch"

    name: Mapped[str] = mapped_column(primary_key=True)
    engaged: Mapped[bool]
    reason: Mapped[str | None]
    changed_at: Mapped[datetime]


class SecretRow(Base):
    """A secret (macaroon, API key) encrypted with AES-256-GCM; the name is the associated data."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary())
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary())
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    key_id: Mapped[str]


# --- API (migration 0003): API keys, node scores per snapshot, background score jobs ---


class ApiKeyRow(Base):
    """An API key of ``mcpln serve``: only a salted sha256 of its secret is kept (the key is shown once)."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(primary_key=True)  # the public part of the key, 12 hex characters
    name: Mapped[str]
    scopes: Mapped[list[Any]]
    salt: Mapped[str]  # 16 random bytes, hex
    key_hash: Mapped[str]  # sha256(salt || secret), hex
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class NodeScoreRow(Base):
    """A node's scores in one graph snapshot (``scoring.node_scores.NodeScore``), for every node."""

    __tablename__ = "node_scores"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    node_pubkey: Mapped[str]
    graph_fingerprint: Mapped[str]
    scoring_version: Mapped[int]
    snapshot_at: Mapped[datetime]
    computed_at: Mapped[datetime]
    alias: Mapped[str]
    n_channels: Mapped[int]
    capacity_sat: Mapped[int] = mapped_column(BigInteger())
    median_fee_rate_ppm: Mapped[float | None]
    centrality: Mapped[float]
    reliability: Mapped[float]
    capacity: Mapped[float]
    fee_competitiveness: Mapped[float]
    composite: Mapped[float]
    rank: Mapped[int]

    __table_args__ = (
        UniqueConstraint("graph_fingerprint", "scoring_version", "node_pubkey"),
        Index(None, "node_pubkey", "computed_at"),
    )


class ScoreJobRow(Base):
    """A background job of the API (a batch of node scores, or a recalculation of the whole graph)."""

    __tablename__ = "score_jobs"

    job_id: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str]
    status: Mapped[str]
    request: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None]
    key_id: Mapped[str | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "kind", "status", "finished_at"),)


# the seed's channels(channel_id, node_id, created_at) index, on the decisions about each channel
Index(None, DecisionRow.chan_id, DecisionRow.node_pubkey, DecisionRow.created_at)
