"""The shipped Alembic migrations build exactly the schema of ``tables.py``, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from mcp_lightning.adapters.store import open_store
from mcp_lightning.adapters.store.migrate import MIGRATIONS_DIR, alembic_config, head_revision
from mcp_lightning.adapters.store.tables import Base
from mcp_lightning.errors import StoreError


def schema_diff(url: str) -> list[object]:
    """Alembic autogenerate's differences between the database at ``url`` and ``Base.metadata``."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_produce_exactly_the_table_metadata(database_url: str, tmp_path: Path) -> None:
    """After open_store upgrades an empty database, autogenerate finds nothing to change."""
    open_store(database_url, default_dir=tmp_path).close()
    assert schema_diff(database_url) == []


def test_downgrade_to_base_then_upgrade_restores_the_same_schema(database_url: str, tmp_path: Path) -> None:
    """Every migration's downgrade undoes its upgrade: down to base leaves no table, up again matches."""
    open_store(database_url, default_dir=tmp_path).close()
    engine = create_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()
    assert schema_diff(database_url) == []


def test_opening_records_the_head_revision(database_url: str, tmp_path: Path) -> None:
    """The version table holds the newest shipped revision after opening."""
    open_store(database_url, default_dir=tmp_path).close()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert version == head_revision()


def test_a_database_from_a_newer_version_is_refused_with_a_hint(database_url: str, tmp_path: Path) -> None:
    """A version table naming an unknown revision raises StoreError telling the user to upgrade."""
    open_store(database_url, default_dir=tmp_path).close()
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="upgrading the schema failed") as caught:
        open_store(database_url, default_dir=tmp_path)
    assert caught.value.hint is not None and "upgrade mcp-lightning" in caught.value.hint


@pytest.mark.postgres
def test_postgres_tables_and_version_table_live_in_the_test_schema(postgres_url: str, tmp_path: Path) -> None:
    """With search_path set, every table, alembic's included, is created in that schema, not public."""
    open_store(postgres_url, default_dir=tmp_path).close()
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            rows = conn.execute(text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_name IN ('alembic_version', 'runs', 'decisions', 'policy_changes') "
                "AND table_schema IN (current_schema(), 'public')"))  # other test sessions own other schemas
            found = {(s, t) for s, t in rows}
    finally:
        engine.dispose()
    assert schema.startswith("mcpln_test_")
    assert found == {(schema, t) for t in ("alembic_version", "runs", "decisions", "policy_changes")}


def test_every_migration_file_is_python_with_a_revision(tmp_path: Path) -> None:
    """The versions directory holds only NNNN_*.py files, numbered 0001 upwards without gaps."""
    names = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert [n[:4] for n in names] == [f"{i:04d}" for i in range(1, len(names) + 1)]
    assert head_revision() == f"{len(names):04d}"


def test_the_fast_head_check_agrees_with_alembic() -> None:
    """The file-name head used to skip importing alembic on every start is alembic's own head."""
    from mcp_lightning.adapters.store.migrate import head_revision, shipped_head

    assert shipped_head() == head_revision()


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    """A second open of a migrated SQLite store skips alembic entirely (fast warm start)."""
    import subprocess
    import sys

    from mcp_lightning.adapters.store import open_store

    open_store(None, default_dir=tmp_path).close()
    code = ("import sys; from pathlib import Path; from mcp_lightning.adapters.store import open_store; "
            f"open_store(None, default_dir=Path({str(tmp_path)!r})).close(); print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
