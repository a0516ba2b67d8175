"""Backup export and import files, for disaster recovery (``mcpln backup export|import PATH``).

An export is one JSON document::

    {"format": "mcpln-backup-export", "format_version": 1, "exported_at": "2026-11-22T05:00:00+00:00",
     "backups": [{"node_pubkey": "02…", "version": 3, "created_at": "…", "label": "before tx 3f2a9c1b",
                  "checksum_sha256": "<sha256 of the policies' canonical JSON>",
                  "policies": {"<chan_id>": {"base_fee_msat": 1000, "fee_rate_ppm": 250, ...}}}, ...],
     "checksum_sha256": "<sha256 of the canonical JSON of the backups list>"}

Import checks the file checksum (nothing about the file was changed) and every backup's checksum
(its policies are the ones backed up) before storing anything, and refuses a tampered or corrupt
file with an ``InputFileError`` naming the file, the backup and both hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mcp_lightning.adapters.store.execution_records import policies_checksum, policies_from_doc
from mcp_lightning.adapters.store.records import policy_to_json, utc_iso
from mcp_lightning.adapters.store.store import Store
from mcp_lightning.errors import InputFileError
from mcp_lightning.execution.model import Backup, Tier
from mcp_lightning.execution.retention import tier_at

FORMAT = "mcpln-backup-export"
FORMAT_VERSION = 1
_TAMPER_HINT = "use an untouched export: never edit one by hand; export again from a healthy database"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import stored: new backups, and those already present (same version and checksum)."""

    n_imported: int
    n_already_present: int


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _backup_doc(backup: Backup) -> dict[str, Any]:
    return {"node_pubkey": backup.node_pubkey, "version": backup.version, "created_at": utc_iso(backup.created_at),
            "label": backup.label, "checksum_sha256": backup.checksum_sha256,
            "policies": {str(c): policy_to_json(p) for c, p in sorted(backup.policies.items())}}


def export_backups(store: Store, path: Path, now: datetime) -> int:
    """Write every stored backup (checksums verified on read) to ``path``; returns how many.

    Raises:
        BackupIntegrityError: when a stored backup fails its checksum (nothing is written).
        InputFileError: when the file cannot be written.
    """
    docs = [_backup_doc(b) for b in store.list_backups()]
    document = {"format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": utc_iso(now), "backups": docs,
                "checksum_sha256": hashlib.sha256(_canonical(docs)).hexdigest()}
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InputFileError(str(path), f"cannot write the export ({exc.strerror})",
                             hint="choose a writable path") from exc
    return len(docs)


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read the backup export ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(str(path), "is not UTF-8 text", hint=_TAMPER_HINT) from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(str(path), f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                             hint=_TAMPER_HINT) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputFileError(str(path), f"field 'format' is not {FORMAT!r}: this is not an mcpln backup export",
                             hint="pass a file written by `mcpln backup export`")
    if document.get("format_version") != FORMAT_VERSION:
        raise InputFileError(str(path), f"field 'format_version' has value {document.get('format_version')!r}, "
                             f"expected {FORMAT_VERSION}", hint="import it with the version that exported it")
    return document


def _parse_backup(path: Path, index: int, doc: Any) -> Backup:
    where = f"backups[{index}]"
    try:
        policies = policies_from_doc(doc["policies"])
        backup = Backup(backup_id=0, node_pubkey=str(doc["node_pubkey"]), version=int(doc["version"]),
                        created_at=datetime.fromisoformat(doc["created_at"]), label=str(doc["label"]),
                        checksum_sha256=str(doc["checksum_sha256"]), policies=policies)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"{where} is malformed ({type(exc).__name__}: {exc})"
        raise InputFileError(str(path), problem, hint=_TAMPER_HINT) from exc
    if backup.created_at.tzinfo is None:
        raise InputFileError(str(path), f"{where}: field 'created_at' has no timezone", hint=_TAMPER_HINT)
    actual = policies_checksum(policies)
    if actual != backup.checksum_sha256:
        raise InputFileError(str(path), (
            f"{where} (version {backup.version} of node {backup.node_pubkey[:16]}…) fails its checksum: "
            f"recorded sha256 {backup.checksum_sha256[:16]}…, its policies hash to {actual[:16]}…; "
            "the file was modified or corrupted, nothing was imported"), hint=_TAMPER_HINT)
    return backup


def read_export(path: Path) -> list[Backup]:
    """Parse and verify an export file; returns its backups (ids 0, tiers hot).

    Raises:
        InputFileError: unreadable, not an export, malformed, or a checksum mismatch (tampering).
    """
    document = _read(path)
    docs = document.get("backups")
    if not isinstance(docs, list):
        raise InputFileError(str(path), "field 'backups' is missing or not a list", hint=_TAMPER_HINT)
    actual = hashlib.sha256(_canonical(docs)).hexdigest()
    recorded = document.get("checksum_sha256")
    if actual != recorded:
        raise InputFileError(str(path), (
            f"file checksum mismatch: recorded sha256 {str(recorded)[:16]}…, content hashes to {actual[:16]}…; "
            "the file was modified after export, nothing was imported"), hint=_TAMPER_HINT)
    return [_parse_backup(path, i, doc) for i, doc in enumerate(docs)]


def import_backups(store: Store, path: Path, now: datetime) -> ImportReport:
    """Verify an export file completely, then store its backups (each in the tier its age calls for).

    Backups older than 90 days are stored cold rather than dropped: an explicit import wins over
    retention until the next ``prune``.

    Raises:
        InputFileError: when the file fails any check (nothing is stored).
        InputError: when a backup conflicts with a stored one of the same version.
    """
    backups = read_export(path)
    n_new = 0
    for backup in backups:
        tier = tier_at(backup.created_at, now) or Tier.COLD
        n_new += store.add_backup(replace(backup, tier=tier))
    return ImportReport(n_imported=n_new, n_already_present=len(backups) - n_new)

