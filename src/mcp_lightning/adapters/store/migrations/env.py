"""Alembic environment of the store, driven from code by ``migrate.alembic_config``.

Online: runs on a connection of the engine passed in ``config.attributes["engine"]`` (its
``search_path`` decides the PostgreSQL schema, alembic's version table included). Offline
(``--sql``): renders SQL for the URL in the ``sqlalchemy.url`` option. SQLite migrations run in
batch mode (copy-and-move) with foreign keys off, so recreating a table never cascades deletes.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine
from sqlalchemy.types import TypeDecorator

from mcp_lightning.adapters.store.tables import Base

TARGET_METADATA = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our TypeDecorators as their plain SQL type, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=TARGET_METADATA, render_as_batch=True, compare_type=True,
        render_item=render_item, **kwargs,
    )


def run_offline() -> None:
    """Print the migrations' SQL for ``sqlalchemy.url`` without connecting."""
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Apply the migrations on the configured engine, then give the connection back with foreign keys on."""
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # after the commit, or it is ignored
            connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
