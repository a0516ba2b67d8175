"""Mapping between the execution values (``execution.model``) and the store's rows.

Policies use the JSON documents of ``records.policy_to_json``. A backup's checksum is the sha256 of
its canonical JSON: ``{"<chan_id>": policy document, ...}`` with sorted keys, ``","``/``":"``
separators and ASCII escapes, so the same policies always give the same 64 hex characters on every
backend and in export files. Warm and cold backups keep those bytes gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_lightning.adapters.store.records import policy_from_json, policy_to_json
from mcp_lightning.adapters.store.tables import ApprovalRow, BackupRow, TransactionChannelRow, TransactionRow
from mcp_lightning.domain.channel import Policy
from mcp_lightning.errors import BackupIntegrityError
from mcp_lightning.execution.model import (
    Approval,
    ApprovalStatus,
    Backup,
    ChannelStep,
    Mode,
    StepStatus,
    Tier,
    Transaction,
    TxKind,
    TxStatus,
)

GZIP_LEVEL = {Tier.WARM: 6, Tier.COLD: 9}
"""gzip level per compressed tier: warm stays quick to read, cold trades time for size."""


@dataclass(frozen=True, slots=True)
class SecretRecord:
    """One row of the ``secrets`` table: AES-256-GCM ciphertext, never the plain value.

    Attributes:
        name: what the secret is, e.g. ``"lnd.macaroon"``; also the AES-GCM associated data.
        nonce: 12 random bytes, new for every encryption.
        ciphertext: the encrypted value with its 16-byte GCM tag.
        created_at: UTC.
        expires_at: UTC, or None when it never expires.
        key_id: which key encrypted it (a fingerprint, never the key).
    """

    name: str
    nonce: bytes
    ciphertext: bytes
    created_at: datetime
    expires_at: datetime | None
    key_id: str

    def __repr__(self) -> str:
        return f"SecretRecord(name={self.name!r}, key_id={self.key_id!r}, <ciphertext hidden>)"


def _policy_doc(policy: Policy | None) -> dict[str, Any] | None:
    return None if policy is None else policy_to_json(policy)


def _policy(doc: Mapping[str, Any] | None) -> Policy | None:
    return None if doc is None else policy_from_json(dict(doc))


def canonical_policies_json(policies: Mapping[int, Policy]) -> bytes:
    """The canonical bytes a backup's checksum covers (see the module docstring)."""
    doc = {str(chan_id): policy_to_json(policies[chan_id]) for chan_id in sorted(policies)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def policies_checksum(policies: Mapping[int, Policy]) -> str:
    """Hex sha256 of ``canonical_policies_json(policies)``."""
    return hashlib.sha256(canonical_policies_json(policies)).hexdigest()


def policies_from_doc(doc: Mapping[str, Any]) -> dict[int, Policy]:
    """``{"<chan_id>": policy document}`` back to ``{chan_id: Policy}``.

    Raises:
        KeyError, TypeError, ValueError: when a key is not an integer or a document is malformed.
    """
    return {int(chan_id): policy_from_json(dict(p)) for chan_id, p in doc.items()}


def backup_to_row(backup: Backup) -> BackupRow:
    """The row of a backup in its tier (JSON when hot, gzip otherwise)."""
    raw = canonical_policies_json(backup.policies)
    row = BackupRow(node_pubkey=backup.node_pubkey, version=backup.version, created_at=backup.created_at,
                    label=backup.label, tier=backup.tier.value, checksum_sha256=backup.checksum_sha256,
                    n_channels=len(backup.policies), payload=None, payload_gz=None)
    set_backup_payload(row, raw, backup.tier)
    return row


def set_backup_payload(row: BackupRow, raw: bytes, tier: Tier) -> None:
    """Store the canonical bytes ``raw`` in ``row`` as the tier wants (plain JSON or gzip)."""
    row.tier = tier.value
    if tier is Tier.HOT:
        row.payload, row.payload_gz = json.loads(raw), None
    else:
        row.payload, row.payload_gz = None, gzip.compress(raw, compresslevel=GZIP_LEVEL[tier], mtime=0)


def backup_raw(row: BackupRow) -> bytes:
    """The canonical bytes held by a row, decompressed when needed.

    Raises:
        BackupIntegrityError: when the payload is missing or the gzip data is corrupt.
    """
    if row.payload is not None:
        return json.dumps(row.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    if row.payload_gz is None:
        raise BackupIntegrityError(f"backup {row.backup_id} (version {row.version}) has no payload")
    try:
        return gzip.decompress(row.payload_gz)
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupIntegrityError(f"backup {row.backup_id} (version {row.version}): compressed payload is corrupt",
                                   hint="restore it from an export with `mcpln backup import`") from exc


def backup_from_row(row: BackupRow) -> Backup:
    """The backup held by a row, after checking its sha256.

    Raises:
        BackupIntegrityError: when the content does not hash to the recorded checksum (the backup
            was altered) or cannot be decoded; it is never used for a restore then.
    """
    raw = backup_raw(row)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != row.checksum_sha256:
        raise BackupIntegrityError(
            f"backup {row.backup_id} (version {row.version} of node {row.node_pubkey[:16]}…) fails its checksum: "
            f"recorded sha256 {row.checksum_sha256[:16]}…, content hashes to {actual[:16]}…",
            hint="the stored backup was altered; import an untouched export with `mcpln backup import`")
    try:
        policies = policies_from_doc(json.loads(raw))
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupIntegrityError(f"backup {row.backup_id} (version {row.version}) holds a malformed policy") from exc
    return Backup(backup_id=row.backup_id, node_pubkey=row.node_pubkey, version=row.version,
                  created_at=row.created_at, label=row.label, checksum_sha256=row.checksum_sha256,
                  policies=policies, tier=Tier(row.tier))


def tx_to_row(tx: Transaction) -> TransactionRow:
    """The ``transactions`` row of a transaction."""
    return TransactionRow(tx_id=tx.tx_id, kind=tx.kind.value, mode=tx.mode.value, status=tx.status.value,
                          node_pubkey=tx.node_pubkey, run_id=tx.run_id, parent_tx_id=tx.parent_tx_id,
                          backup_id=tx.backup_id, atomic=tx.atomic, reason=tx.reason, created_at=tx.created_at,
                          updated_at=tx.updated_at, owner=tx.owner)


def tx_from_row(row: TransactionRow) -> Transaction:
    """The transaction held by a ``transactions`` row."""
    return Transaction(tx_id=row.tx_id, kind=TxKind(row.kind), mode=Mode(row.mode), status=TxStatus(row.status),
                       node_pubkey=row.node_pubkey, run_id=row.run_id, parent_tx_id=row.parent_tx_id,
                       backup_id=row.backup_id, atomic=row.atomic, reason=row.reason, created_at=row.created_at,
                       updated_at=row.updated_at, owner=row.owner)


def step_to_row(step: ChannelStep) -> TransactionChannelRow:
    """A new ``transaction_channels`` row for a step."""
    row = TransactionChannelRow(tx_id=step.tx_id, chan_id=step.chan_id)
    update_step_row(row, step)
    return row


def update_step_row(row: TransactionChannelRow, step: ChannelStep) -> None:
    """Copy every field of ``step`` into ``row`` (same transaction and channel)."""
    row.seq, row.status, row.reason, row.n_attempts = step.seq, step.status.value, step.reason, step.n_attempts
    row.target_policy = policy_to_json(step.target)
    row.expected_policy, row.backup_policy = _policy_doc(step.expected), _policy_doc(step.backup)
    row.observed_policy = _policy_doc(step.observed)
    row.policy_change_id, row.approval_id, row.updated_at = step.policy_change_id, step.approval_id, step.updated_at


def step_from_row(row: TransactionChannelRow) -> ChannelStep:
    """The step held by a ``transaction_channels`` row."""
    return ChannelStep(tx_id=row.tx_id, seq=row.seq, chan_id=row.chan_id, status=StepStatus(row.status),
                       target=policy_from_json(row.target_policy), expected=_policy(row.expected_policy),
                       backup=_policy(row.backup_policy), observed=_policy(row.observed_policy),
                       reason=row.reason, n_attempts=row.n_attempts, policy_change_id=row.policy_change_id,
                       approval_id=row.approval_id, updated_at=row.updated_at)


def approval_to_row(approval: Approval) -> ApprovalRow:
    """A new ``approvals`` row (its id is assigned by the database)."""
    return ApprovalRow(run_id=approval.run_id, node_pubkey=approval.node_pubkey, chan_id=approval.chan_id,
                       peer_pubkey=approval.peer_pubkey, current_policy=_policy_doc(approval.current),
                       proposed_policy=policy_to_json(approval.proposed), status=approval.status.value,
                       created_at=approval.created_at, expires_at=approval.expires_at,
                       decided_at=approval.decided_at, reason=approval.reason, tx_id=approval.tx_id)


def approval_from_row(row: ApprovalRow) -> Approval:
    """The approval held by an ``approvals`` row."""
    return Approval(approval_id=row.approval_id, run_id=row.run_id, node_pubkey=row.node_pubkey,
                    chan_id=row.chan_id, peer_pubkey=row.peer_pubkey, current=_policy(row.current_policy),
                    proposed=policy_from_json(row.proposed_policy), status=ApprovalStatus(row.status),
                    created_at=row.created_at, expires_at=row.expires_at, decided_at=row.decided_at,
                    reason=row.reason, tx_id=row.tx_id)
