"""Alembic, run from code: the migrations ship inside the package and no alembic.ini is needed.

``upgrade_to_head(engine)`` brings a database to the newest schema (``open_store`` calls it);
``revision.py`` writes new migrations.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:  # alembic is imported only when a migration has to run (it costs ~0.3 s per start)
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


class SchemaVersionError(Exception):
    """The database is at a revision this package does not ship (a newer mcp-lightning wrote it)."""


def shipped_head() -> str | None:
    """The newest revision id shipped, read from the ``NNNN_slug.py`` file names (no alembic import).

    Revision ids are the four-digit prefixes, each migration's ``down_revision`` the previous one;
    a test checks that this equals alembic's own ``head_revision()``.
    """
    ids = [m.group(1) for p in (MIGRATIONS_DIR / "versions").iterdir() if (m := _REVISION_FILE.match(p.name))]
    return max(ids) if ids else None


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's ``alembic_version`` table; None when there is none."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no table yet (a new database): migrations will create it
        return None


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations.

    Args:
        engine: when given, ``env.py`` runs the migrations on a connection of this engine (and in
            the schema its ``search_path`` selects, version table included).

    Returns:
        The configuration; revision files are named ``NNNN_<slug>.py``.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration the database lacks (a no-op when it is at head).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: when the database refuses (the caller wraps it).
        SchemaVersionError: when the database is at a revision this package does not ship.
    """
    head = shipped_head()
    if head is not None and current_revision(engine) == head:
        return
    from alembic import command
    from alembic.util import CommandError

    try:
        command.upgrade(alembic_config(engine), "head")
    except CommandError as exc:
        raise SchemaVersionError(str(exc)) from exc


def head_revision() -> str | None:
    """The newest revision id shipped with the package (e.g. ``"0001"``); None before the first."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
