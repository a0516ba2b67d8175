"""The execution tables on SQLite and PostgreSQL: backups (checksums, tiers, prune, export/import),
transactions, the kill switch, approvals and encrypted secrets."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.adapters.store.backup_file import export_backups, import_backups, read_export
from mcp_lightning.errors import BackupIntegrityError, InputError, InputFileError
from mcp_lightning.execution.model import KillSwitchState, Tier
from tests.adapters.execution_fixtures import START, chan_ids, new_policy, old_policy

NODE = "02c095d069538f96bf14c5f90f6c0851bdf354a0ec86039a24bf38a73f705adc2c"


def backup_at(store: Store, days_ago: float, n: int = 3):  # type: ignore[no-untyped-def]
    """A backup of ``n`` channels taken ``days_ago`` days before START."""
    policies = {c: old_policy(c) for c in chan_ids(n)}
    return store.record_backup(NODE, policies, "test", START - timedelta(days=days_ago))


def test_backups_are_versioned_per_node_and_round_trip_exactly(store: Store) -> None:
    """Each backup of a node gets the next version and comes back with the same policies and checksum."""
    first, second = backup_at(store, 2), backup_at(store, 1, n=5)
    other = store.record_backup("03" + "44" * 32, {1: new_policy(1)}, "other node", START)

    assert (first.version, second.version, other.version) == (1, 2, 1)
    loaded = store.load_backup(second.backup_id)
    assert loaded == second and len(loaded.policies) == 5 and len(loaded.checksum_sha256) == 64


def test_a_backup_whose_content_changed_fails_its_checksum(store: Store) -> None:
    """Altering the stored payload makes load_backup raise BackupIntegrityError naming both hashes."""
    backup = backup_at(store, 0)
    with store._engine.begin() as conn:
        conn.execute(text("UPDATE backups SET checksum_sha256 = :c"), {"c": "0" * 64})

    with pytest.raises(BackupIntegrityError, match=r"recorded sha256 0000000000000000…, content hashes to"):
        store.load_backup(backup.backup_id)


def test_prune_moves_backups_through_the_tiers_and_deletes_them_after_90_days(store: Store) -> None:
    """Hot under 7 d, warm (gzip) to 30 d, cold to 90 d, deleted after; content and checksum survive."""
    ages = {"hot": 1, "warm": 8, "cold": 45, "gone": 91}
    made = {name: backup_at(store, days) for name, days in ages.items()}

    report = store.prune_backups(START)

    assert (report.n_hot, report.n_warm, report.n_cold, report.n_deleted) == (1, 1, 1, 1)
    kept = {b.backup_id: b for b in store.list_backups()}
    assert set(kept) == {made[n].backup_id for n in ("hot", "warm", "cold")}
    assert [kept[made[n].backup_id].tier for n in ("hot", "warm", "cold")] == [Tier.HOT, Tier.WARM, Tier.COLD]
    assert all(kept[made[n].backup_id].policies == made[n].policies for n in ("hot", "warm", "cold"))
    with store._engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT tier, payload_gz FROM backups")).all())
    assert rows["hot"] is None and json.loads(gzip.decompress(rows["warm"]))
    assert store.prune_backups(START) == report.__class__(n_hot=1, n_warm=1, n_cold=1)


def test_export_then_import_into_an_empty_database_restores_every_backup(store: Store, tmp_path: Path) -> None:
    """An export holds every backup with checksums; importing it elsewhere gives the same backups."""
    made = [backup_at(store, 1), backup_at(store, 10, n=4)]
    path = tmp_path / "backups.json"
    assert export_backups(store, path, START) == 2

    with open_store(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", default_dir=tmp_path) as fresh:
        report = import_backups(fresh, path, START)
        again = import_backups(fresh, path, START)
        restored = sorted(fresh.list_backups(), key=lambda b: b.version)

    assert (report.n_imported, again.n_imported, again.n_already_present) == (2, 0, 2)
    assert [(b.version, b.policies, b.checksum_sha256) for b in restored] == [
        (b.version, b.policies, b.checksum_sha256) for b in made]
    assert [b.tier for b in restored] == [Tier.HOT, Tier.WARM]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda doc: doc["backups"][0]["policies"].popitem(), "file checksum mismatch"),
    (lambda doc: doc["backups"][0].update(label="renamed"), "file checksum mismatch"),
])
def test_a_tampered_export_is_refused_with_a_clear_error(store: Store, tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    """Changing anything in an export file makes import refuse it, naming the file and the mismatch."""
    backup_at(store, 1)
    path = tmp_path / "backups.json"
    export_backups(store, path, START)
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))

    with pytest.raises(InputFileError, match=message) as caught:
        import_backups(store, path, START)
    assert str(path) in caught.value.message and caught.value.hint and "never edit" in caught.value.hint


def test_an_export_whose_backup_and_file_checksum_were_both_rewritten_still_fails_per_backup(tmp_path: Path,
                                                                                              store: Store) -> None:
    """Recomputing the file checksum after editing policies is caught by the backup's own sha256."""
    import hashlib

    backup_at(store, 1)
    path = tmp_path / "backups.json"
    export_backups(store, path, START)
    doc = json.loads(path.read_text())
    first = next(iter(doc["backups"][0]["policies"].values()))
    first["fee_rate_ppm"] = 1
    canonical = json.dumps(doc["backups"], sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    doc["checksum_sha256"] = hashlib.sha256(canonical).hexdigest()
    path.write_text(json.dumps(doc))

    expected = r"backups\[0\] \(version 1 of node 02c095d069538f96…\) fails its checksum"
    with pytest.raises(InputFileError, match=expected):
        read_export(path)
    assert store.list_backups()[0].policies[chan_ids(1)[0]].fee_rate_ppm == 500


def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    """Invalid JSON and foreign JSON are InputFileErrors naming the problem."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="is not valid JSON"):
        read_export(bad)
    bad.write_text('{"format": "something"}')
    with pytest.raises(InputFileError, match="not an mcpln backup export"):
        read_export(bad)


def test_importing_a_conflicting_version_is_refused(store: Store, tmp_path: Path) -> None:
    """A stored version with different content is never overwritten by an import."""
    backup_at(store, 1)
    path = tmp_path / "backups.json"
    export_backups(store, path, START)
    with open_store(f"sqlite:///{tmp_path / 'other.sqlite3'}", default_dir=tmp_path) as other:
        other.record_backup(NODE, {7: new_policy(7)}, "different", START)
        with pytest.raises(InputError, match="already stored with different content"):
            import_backups(other, path, START)


def test_the_kill_switch_is_a_stored_flag_every_store_sees(database_url: str, tmp_path: Path) -> None:
    """Engaging the switch through one store is seen by another one on the same database, and released."""
    with open_store(database_url, default_dir=tmp_path) as one, open_store(database_url, default_dir=tmp_path) as two:
        assert two.kill_switch() == KillSwitchState(engaged=False)
        one.set_kill_switch(True, "incident", START)
        assert two.kill_switch() == KillSwitchState(True, "incident", START)
        one.set_kill_switch(False, None, START + timedelta(minutes=1))
        assert two.kill_switch().engaged is False
