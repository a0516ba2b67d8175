"""Shared pytest fixtures, one section per concern (add a new section rather than mixing)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from mcp_lightning.adapters.store import Store

# ---------------------------------------------------------------------------------------------------
# Database fixtures (the store): the same tests run on SQLite and on the local PostgreSQL.
#
# * ``database_url`` is parametrized: a SQLite file in tmp_path, and a PostgreSQL schema
#   (``mcpln_test_<random>``, created once per session, selected by ``search_path`` so alembic's
#   version table lands there too, emptied of everything after each test, dropped at the end).
# * ``postgres_url`` is that PostgreSQL schema alone, for PostgreSQL-only tests (mark them postgres).
# * ``store`` is an open ``Store`` on ``database_url``.
# * MCPLN_TEST_POSTGRES_URL overrides the server (default postgres@127.0.0.1:5432/test, trust auth).
# * PostgreSQL unreachable: the test FAILS when CI=true, and is skipped with the reason otherwise.
# ---------------------------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = os.environ.get("MCPLN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _postgres_unavailable(exc: Exception) -> NoReturn:
    shown = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    reason = f"PostgreSQL at {shown} is unreachable ({cause})"
    if _running_in_ci():
        pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
    pytest.skip(f"{reason}; start it or run with CI=true to make this a failure")


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL schema (search_path set through libpq options), dropped at the end."""
    schema = f"mcpln_test_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        _postgres_unavailable(exc)
    url = make_url(POSTGRES_ADMIN_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _reset_postgres_schema(url: str) -> None:
    """Drop everything in the URL's schema (tables, alembic's version table) so the next test starts empty."""
    schema = str(make_url(url).query["options"]).removeprefix("-csearch_path=")
    assert schema.startswith("mcpln_test_"), schema
    engine = create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(postgres_session_url: str) -> Iterator[str]:
    """URL of the session's PostgreSQL schema, empty at the start of the test and emptied after it."""
    try:
        yield postgres_session_url
    finally:
        _reset_postgres_schema(postgres_session_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or the session's PostgreSQL schema (emptied after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    """An open store on ``database_url``, closed after the test."""
    from mcp_lightning.adapters.store import open_store

    opened = open_store(database_url, default_dir=tmp_path)
    try:
        yield opened
    finally:
        opened.close()
