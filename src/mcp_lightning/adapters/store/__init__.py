"""The store: runs, decisions and policy changes in SQLite or PostgreSQL (SQLAlchemy 2 + Alembic).

Public API::

    store = open_store(settings.database_url, default_dir=data_dir)
    store.record_run(run, planned)            # one transaction, all or nothing
    store.list_runs(limit=20)                 # newest first
    store.find_run("3f2a9c1b")                # by id prefix
    store.run_decisions(run.run_id)           # list[StoredDecision]
    store.close()

Execution tables (migration 0002; ``store_execution.py``, ``store_backups.py``)::

    store.open_transaction(tx, steps) / save_steps(...) / begin_write(...) / close_transaction(...)
    store.transaction("3f2a9c1b") / list_transactions() / open_transactions(node_pubkey)
    store.record_backup(node_pubkey, policies, label, at) / load_backup(id) / prune_backups(now)
    store.kill_switch() / set_kill_switch(engaged, reason, at)
    store.add_approvals(...) / approvals(statuses=...) / set_approval_status(...)
    store.put_secret(record) / secret(name) / replace_secrets(records)   # ciphertext only
    backup_file.export_backups(store, path, now) / import_backups(store, path, now)
"""

from mcp_lightning.adapters.store.records import StoredDecision
from mcp_lightning.adapters.store.store import Store, open_store

__all__ = ["Store", "StoredDecision", "open_store"]
