"""Write the next migration after changing ``tables.py``::

    python -m mcp_lightning.adapters.store.revision "add transactions"

upgrades a scratch SQLite database to head, autogenerates the difference against
``tables.Base.metadata`` and writes ``migrations/versions/NNNN_add_transactions.py`` for review.
The test ``test_migrations_produce_exactly_the_table_metadata`` then checks both backends.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mcp_lightning.adapters.store.migrate import alembic_config, head_revision, upgrade_to_head


def write_revision(message: str) -> Path:
    """Autogenerate the next migration from the difference between head and ``tables.py``.

    Args:
        message: what the migration does, e.g. ``"add transactions"``.

    Returns:
        The path of the new revision file (review it before committing).
    """
    head = head_revision()
    rev_id = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        try:
            upgrade_to_head(engine)
            script = command.revision(alembic_config(engine), message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic wrote no single revision")
    return Path(script.path)


def main(argv: list[str]) -> int:
    """``python -m mcp_lightning.adapters.store.revision "what it does"``."""
    if len(argv) != 1:
        usage = 'usage: python -m mcp_lightning.adapters.store.revision "what it does"'
        print(usage, file=sys.stderr)
        return 2
    print(write_revision(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
