"""Store methods for policy backups (versioned, checksummed, tiered) and encrypted secret rows.

Mixed into ``Store``. Every backup read checks its sha256 (``BackupIntegrityError`` on a mismatch);
``prune_backups`` moves backups between the retention tiers of ``execution.retention`` and deletes
those older than 90 days, except a backup an open transaction still needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mcp_lightning.adapters.store.execution_records import (
    SecretRecord,
    backup_from_row,
    backup_raw,
    backup_to_row,
    policies_checksum,
    set_backup_payload,
)
from mcp_lightning.adapters.store.store_execution import ExecutionMethods, StoreCore
from mcp_lightning.adapters.store.tables import BackupRow, SecretRow, TransactionRow
from mcp_lightning.domain.channel import Policy
from mcp_lightning.errors import BackupIntegrityError, InputError
from mcp_lightning.execution.model import Backup, ChannelStep, Tier, TxStatus
from mcp_lightning.execution.retention import tier_at


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What ``prune_backups`` did: backups per resulting tier, deleted, kept for an open transaction, corrupt."""

    n_hot: int = 0
    n_warm: int = 0
    n_cold: int = 0
    n_deleted: int = 0
    n_protected: int = 0
    n_corrupt: int = 0


class BackupMethods(StoreCore):
    """Policy backups and secret rows."""

    def record_backup(self, node_pubkey: str, policies: Mapping[int, Policy], label: str, at: datetime,
                      steps: Sequence[ChannelStep] = ()) -> Backup:
        """Store a new hot backup (next version for the node); with ``steps``, also save them and link
        the backup to their transaction, all in one database transaction.

        Returns:
            The stored backup with its id, version and checksum.
        """
        with self._guard(f"recording a backup of {len(policies)} policies"), self._sessions.begin() as session:
            last = session.scalar(select(func.max(BackupRow.version)).where(BackupRow.node_pubkey == node_pubkey))
            backup = Backup(backup_id=0, node_pubkey=node_pubkey, version=(last or 0) + 1, created_at=at,
                            label=label, checksum_sha256=policies_checksum(policies), policies=dict(policies))
            row = backup_to_row(backup)
            session.add(row)
            session.flush()
            if steps:
                ExecutionMethods._write_steps(session, steps, None)
                session.execute(update(TransactionRow).where(TransactionRow.tx_id == steps[0].tx_id)
                                .values(backup_id=row.backup_id))
            return replace(backup, backup_id=row.backup_id)

    def load_backup(self, backup_id: int) -> Backup:
        """A stored backup, its checksum verified.

        Raises:
            InputError: when no backup has this id (it may have been pruned after 90 days).
            BackupIntegrityError: when its content does not match its sha256.
        """
        with self._guard(f"reading backup {backup_id}"), self._sessions() as session:
            row = session.get(BackupRow, backup_id)
            if row is None:
                raise InputError(f"no backup {backup_id} in {self.url}",
                                 hint="backups older than 90 days are pruned; list them with `mcpln backup list`")
            return backup_from_row(row)

    def list_backups(self, node_pubkey: str | None = None) -> list[Backup]:
        """Every backup, oldest first, each checksum verified (``BackupIntegrityError`` on the first bad one)."""
        stmt = select(BackupRow).order_by(BackupRow.created_at, BackupRow.backup_id)
        if node_pubkey is not None:
            stmt = stmt.where(BackupRow.node_pubkey == node_pubkey)
        with self._guard("listing backups"), self._sessions() as session:
            return [backup_from_row(row) for row in session.scalars(stmt)]

    def add_backup(self, backup: Backup) -> bool:
        """Insert a backup read from an export, keeping its version, time, label and checksum.

        Returns:
            True when inserted; False when the same version with the same checksum is already stored.

        Raises:
            BackupIntegrityError: when the policies do not hash to ``backup.checksum_sha256``.
            InputError: when the node already has this version with different content.
        """
        if policies_checksum(backup.policies) != backup.checksum_sha256:
            raise BackupIntegrityError(f"backup version {backup.version} does not match its checksum")
        with self._guard(f"importing backup version {backup.version}"), self._sessions.begin() as session:
            existing = session.scalar(select(BackupRow).where(BackupRow.node_pubkey == backup.node_pubkey,
                                                              BackupRow.version == backup.version))
            if existing is not None:
                if existing.checksum_sha256 == backup.checksum_sha256:
                    return False
                raise InputError(f"backup version {backup.version} of node {backup.node_pubkey[:16]}… is already "
                                 "stored with different content", hint="import into an empty database")
            session.add(backup_to_row(backup))
        return True

    def prune_backups(self, now: datetime) -> PruneReport:
        """Move every backup to the tier its age calls for, and delete those 90 days old or more.

        A backup linked to a ``PENDING`` transaction is never deleted; a backup whose checksum fails
        is left untouched and counted as corrupt.
        """
        counts = {"hot": 0, "warm": 0, "cold": 0, "deleted": 0, "protected": 0, "corrupt": 0}
        with self._guard("pruning backups"), self._sessions.begin() as session:
            needed = set(session.scalars(select(TransactionRow.backup_id).where(
                TransactionRow.status == TxStatus.PENDING.value, TransactionRow.backup_id.is_not(None))))
            for row in list(session.scalars(select(BackupRow))):
                self._retier(session, row, tier_at(row.created_at, now), row.backup_id in needed, counts)
        return PruneReport(counts["hot"], counts["warm"], counts["cold"], counts["deleted"], counts["protected"],
                           counts["corrupt"])

    @staticmethod
    def _retier(session: Session, row: BackupRow, tier: Tier | None, needed: bool, counts: dict[str, int]) -> None:
        if tier is None and needed:
            counts["protected"] += 1
            return
        if tier is None:
            session.delete(row)
            counts["deleted"] += 1
            return
        try:
            raw = backup_raw(row)
        except BackupIntegrityError:
            counts["corrupt"] += 1
            return
        if hashlib.sha256(raw).hexdigest() != row.checksum_sha256:
            counts["corrupt"] += 1
            return
        if row.tier != tier.value:
            set_backup_payload(row, raw, tier)
        counts[tier.value] += 1

    def put_secret(self, record: SecretRecord) -> None:
        """Insert or replace one encrypted secret row."""
        with self._guard(f"storing secret {record.name!r}"), self._sessions.begin() as session:
            session.merge(SecretRow(name=record.name, nonce=record.nonce, ciphertext=record.ciphertext,
                                    created_at=record.created_at, expires_at=record.expires_at,
                                    key_id=record.key_id))

    def secret(self, name: str) -> SecretRecord | None:
        """The encrypted row of one secret, or None."""
        with self._guard(f"reading secret {name!r}"), self._sessions() as session:
            row = session.get(SecretRow, name)
            return None if row is None else _secret_record(row)

    def secrets(self) -> list[SecretRecord]:
        """Every encrypted secret row, by name."""
        with self._guard("listing secrets"), self._sessions() as session:
            return [_secret_record(r) for r in session.scalars(select(SecretRow).order_by(SecretRow.name))]

    def replace_secrets(self, records: Sequence[SecretRecord]) -> None:
        """Overwrite several secret rows in one database transaction (key rotation: all or nothing)."""
        with self._guard(f"re-encrypting {len(records)} secrets"), self._sessions.begin() as session:
            for record in records:
                session.merge(SecretRow(name=record.name, nonce=record.nonce, ciphertext=record.ciphertext,
                                        created_at=record.created_at, expires_at=record.expires_at,
                                        key_id=record.key_id))

    def delete_secret(self, name: str) -> bool:
        """Delete one secret; True when it existed."""
        with self._guard(f"deleting secret {name!r}"), self._sessions.begin() as session:
            existed = session.get(SecretRow, name) is not None
            session.execute(delete(SecretRow).where(SecretRow.name == name))
            return existed


def _secret_record(row: SecretRow) -> SecretRecord:
    return SecretRecord(name=row.name, nonce=row.nonce, ciphertext=row.ciphertext, created_at=row.created_at,
                        expires_at=row.expires_at, key_id=row.key_id)
