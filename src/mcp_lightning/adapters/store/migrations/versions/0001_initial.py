"""Initial schema: runs, decisions, policy_changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:27:34
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True)
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create runs, decisions and policy_changes with their indexes."""
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("finished_at", _UTC, nullable=False),
        sa.Column("evaluated_at", _UTC, nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("node_alias", sa.String(), nullable=False),
        sa.Column("node_source", sa.String(), nullable=False),
        sa.Column("graph_source", sa.String(), nullable=False),
        sa.Column("graph_fingerprint", sa.String(), nullable=False),
        sa.Column("config_fingerprint", sa.String(), nullable=False),
        sa.Column("n_channels", sa.Integer(), nullable=False),
        sa.Column("n_skipped", sa.Integer(), nullable=False),
        sa.Column("decision_counts", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs") as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_node_pubkey_started_at"), ["node_pubkey", "started_at"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("chan_id", sa.BigInteger(), nullable=False),
        sa.Column("scid", sa.String(), nullable=True),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("peer_pubkey", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("composite_score", sa.Double(), nullable=False),
        sa.Column("scores", _JSON, nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("current_policy", _JSON, nullable=True),
        sa.Column("proposed_policy", _JSON, nullable=True),
        sa.Column("safety_verdict", sa.String(), nullable=False),
        sa.Column("safety_rule", sa.String(), nullable=True),
        sa.Column("safety_reason", sa.String(), nullable=True),
        sa.Column("safety_notes", _JSON, nullable=False),
        sa.Column("final_proposed_policy", _JSON, nullable=True),
        sa.Column("rebalance", _JSON, nullable=True),
        sa.Column("close_reason", sa.String(), nullable=True),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("inputs_fingerprint", sa.String(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_decisions_run_id_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_chan_id_created_at"), ["chan_id", "created_at"])
        batch_op.create_index(batch_op.f("ix_decisions_node_pubkey_decision_created_at"),
                              ["node_pubkey", "decision", "created_at"])
        batch_op.create_index(batch_op.f("ix_decisions_run_id"), ["run_id"])

    op.create_table(
        "policy_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chan_id", sa.BigInteger(), nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("applied_at", _UTC, nullable=False),
        sa.Column("old_policy", _JSON, nullable=True),
        sa.Column("new_policy", _JSON, nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_policy_changes_run_id_runs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_changes")),
    )
    with op.batch_alter_table("policy_changes") as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_changes_chan_id_applied_at"), ["chan_id", "applied_at"])


def downgrade() -> None:
    """Drop the three tables (their indexes go with them)."""
    op.drop_table("policy_changes")
    op.drop_table("decisions")
    op.drop_table("runs")
