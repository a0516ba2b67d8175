"""Alembic, run from code: the migrations ship inside the package and no alembic.ini is needed.

``upgrade_to_head(engine)`` brings a database to the newest schema (``open_store`` calls it);
``revision.py`` writes new migrations.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations.

    Args:
        engine: when given, ``env.py`` runs the migrations on a connection of this engine (and in
            the schema its ``search_path`` selects, version table included).

    Returns:
        The configuration; revision files are named ``NNNN_<slug>.py``.
    """
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
        alembic.util.CommandError: when the database is at a revision this package does not ship.
    """
    command.upgrade(alembic_config(engine), "head")


def head_revision() -> str | None:
    """The newest revision id shipped with the package (e.g. ``"0001"``); None before the first."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
