"""Safe execution: backups, transactions, transaction_channels, approvals, kill_switch, secrets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:43:49
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True)
_UTC = sa.DateTime(timezone=True)


def _create_backups() -> None:
    op.create_table(
        "backups",
        sa.Column("backup_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("checksum_sha256", sa.String(), nullable=False),
        sa.Column("n_channels", sa.Integer(), nullable=False),
        sa.Column("payload", _JSON, nullable=True),
        sa.Column("payload_gz", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("backup_id", name=op.f("pk_backups")),
        sa.UniqueConstraint("node_pubkey", "version", name=op.f("uq_backups_node_pubkey_version")),
    )
    with op.batch_alter_table("backups") as batch_op:
        batch_op.create_index(batch_op.f("ix_backups_created_at"), ["created_at"])


def _create_switch_and_secrets() -> None:
    op.create_table(
        "kill_switch",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("engaged", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("changed_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_kill_switch")),
    )
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=True),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secrets")),
    )


def _create_approvals() -> None:
    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("chan_id", sa.BigInteger(), nullable=False),
        sa.Column("peer_pubkey", sa.String(), nullable=False),
        sa.Column("current_policy", _JSON, nullable=True),
        sa.Column("proposed_policy", _JSON, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.Column("decided_at", _UTC, nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("tx_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_approvals_run_id_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_status_expires_at"), ["status", "expires_at"])


def _create_transactions() -> None:
    op.create_table(
        "transactions",
        sa.Column("tx_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("node_pubkey", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("parent_tx_id", sa.String(), nullable=True),
        sa.Column("backup_id", sa.Integer(), nullable=True),
        sa.Column("atomic", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["backup_id"], ["backups.backup_id"],
                                name=op.f("fk_transactions_backup_id_backups"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["parent_tx_id"], ["transactions.tx_id"],
                                name=op.f("fk_transactions_parent_tx_id_transactions"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_transactions_run_id_runs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("tx_id", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions") as batch_op:
        batch_op.create_index(batch_op.f("ix_transactions_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_transactions_status_node_pubkey"), ["status", "node_pubkey"])


def _create_transaction_channels() -> None:
    op.create_table(
        "transaction_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tx_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("chan_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("target_policy", _JSON, nullable=False),
        sa.Column("expected_policy", _JSON, nullable=True),
        sa.Column("backup_policy", _JSON, nullable=True),
        sa.Column("observed_policy", _JSON, nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("n_attempts", sa.Integer(), nullable=False),
        sa.Column("policy_change_id", sa.Integer(), nullable=True),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["approval_id"], ["approvals.approval_id"],
                                name=op.f("fk_transaction_channels_approval_id_approvals"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["policy_change_id"], ["policy_changes.id"],
                                name=op.f("fk_transaction_channels_policy_change_id_policy_changes"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tx_id"], ["transactions.tx_id"],
                                name=op.f("fk_transaction_channels_tx_id_transactions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_channels")),
        sa.UniqueConstraint("tx_id", "chan_id", name=op.f("uq_transaction_channels_tx_id_chan_id")),
    )
    with op.batch_alter_table("transaction_channels") as batch_op:
        batch_op.create_index(batch_op.f("ix_transaction_channels_chan_id_updated_at"), ["chan_id", "updated_at"])


def upgrade() -> None:
    """Create the execution tables with their indexes (parents before children)."""
    _create_backups()
    _create_switch_and_secrets()
    _create_approvals()
    _create_transactions()
    _create_transaction_channels()


def downgrade() -> None:
    """Drop the execution tables, children first (their indexes go with them)."""
    for table in ("transaction_channels", "transactions", "approvals", "secrets", "kill_switch", "backups"):
        op.drop_table(table)
