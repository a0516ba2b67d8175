"""The scoring API: api_keys, node_scores, score_jobs, and an index on decisions by channel and node.

The seed's indexes map onto the store as follows: nodes(node_id, created_at) and
metrics(node_id, timestamp) -> node_scores(node_pubkey, computed_at); channels(channel_id,
node_id, created_at) -> decisions(chan_id, node_pubkey, created_at) (added here);
policies(channel_id, applied_at) -> policy_changes(chan_id, applied_at) (0001);
decisions(node_id, decision_type, created_at) -> decisions(node_pubkey, decision, created_at) (0001).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:13:05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True)
_UTC = sa.DateTime(timezone=True)


def _create_api_keys() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("salt", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )


def _create_node_scores() -> None:
    op.create_table(
        "node_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("graph_fingerprint", sa.String(), nullable=False),
        sa.Column("scoring_version", sa.Integer(), nullable=False),
        sa.Column("snapshot_at", _UTC, nullable=False),
        sa.Column("computed_at", _UTC, nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("n_channels", sa.Integer(), nullable=False),
        sa.Column("capacity_sat", sa.BigInteger(), nullable=False),
        sa.Column("median_fee_rate_ppm", sa.Double(), nullable=True),
        sa.Column("centrality", sa.Double(), nullable=False),
        sa.Column("reliability", sa.Double(), nullable=False),
        sa.Column("capacity", sa.Double(), nullable=False),
        sa.Column("fee_competitiveness", sa.Double(), nullable=False),
        sa.Column("composite", sa.Double(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_scores")),
        sa.UniqueConstraint("graph_fingerprint", "scoring_version", "node_pubkey",
                            name=op.f("uq_node_scores_graph_fingerprint_scoring_version_node_pubkey")),
    )
    with op.batch_alter_table("node_scores") as batch_op:
        batch_op.create_index(batch_op.f("ix_node_scores_node_pubkey_computed_at"), ["node_pubkey", "computed_at"])


def _create_score_jobs() -> None:
    op.create_table(
        "score_jobs",
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("request", _JSON, nullable=False),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("key_id", sa.String(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("finished_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_score_jobs")),
    )
    with op.batch_alter_table("score_jobs") as batch_op:
        batch_op.create_index(batch_op.f("ix_score_jobs_kind_status_finished_at"), ["kind", "status", "finished_at"])


def upgrade() -> None:
    """Create the API tables and the decisions(chan_id, node_pubkey, created_at) index."""
    _create_api_keys()
    _create_node_scores()
    _create_score_jobs()
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_chan_id_node_pubkey_created_at"),
                              ["chan_id", "node_pubkey", "created_at"])


def downgrade() -> None:
    """Drop the index on decisions and the API tables (their indexes go with them)."""
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_chan_id_node_pubkey_created_at"))
    for table in ("score_jobs", "node_scores", "api_keys"):
        op.drop_table(table)
