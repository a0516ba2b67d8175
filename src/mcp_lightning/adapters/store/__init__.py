"""The store: runs, decisions and policy changes in SQLite or PostgreSQL (SQLAlchemy 2 + Alembic).

Public API::

    store = open_store(settings.database_url, default_dir=data_dir)
    store.record_run(run, planned)            # one transaction, all or nothing
    store.list_runs(limit=20)                 # newest first
    store.find_run("3f2a9c1b")                # by id prefix
    store.run_decisions(run.run_id)           # list[StoredDecision]
    store.close()
"""

from mcp_lightning.adapters.store.records import StoredDecision
from mcp_lightning.adapters.store.store import Store, open_store

__all__ = ["Store", "StoredDecision", "open_store"]
