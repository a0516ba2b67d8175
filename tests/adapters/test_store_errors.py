"""Opening the store fails with clear errors that never show a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_lightning.adapters.store import open_store
from mcp_lightning.errors import ConfigError, StoreError

FAKE_PASSWORD = "not-a-real-password-7f3a"


def test_unreachable_database_error_names_the_url_but_hides_the_password(tmp_path: Path) -> None:
    """A refused connection raises StoreError naming the operation and host, with the password masked."""
    url = f"postgresql+psycopg://mcpln:{FAKE_PASSWORD}@127.0.0.1:1/mcpln"
    with pytest.raises(StoreError) as caught:
        open_store(url, default_dir=tmp_path)

    error = caught.value
    assert FAKE_PASSWORD not in f"{error.message} {error.hint}"
    assert error.message.startswith("upgrading the schema failed on postgresql+psycopg://mcpln:***@127.0.0.1:1/mcpln")
    assert error.hint is not None and "MCPLN_DATABASE_URL" in error.hint
    assert error.http_status == 503


def test_a_password_in_the_query_string_is_hidden_too(tmp_path: Path) -> None:
    """libpq's ``?password=`` parameter is masked like the URL's password."""
    with pytest.raises(StoreError) as caught:
        open_store(f"postgresql+psycopg://mcpln@127.0.0.1:1/mcpln?password={FAKE_PASSWORD}",
                   default_dir=tmp_path)
    assert FAKE_PASSWORD not in str(caught.value)
    assert "password=***" in str(caught.value)


def test_an_unwritable_default_dir_is_a_store_error(tmp_path: Path) -> None:
    """When the default directory cannot be created, StoreError names it and suggests a fix."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=f"cannot create the store directory {blocker / 'mcpln'}"):
        open_store(None, default_dir=blocker / "mcpln")


def test_a_plain_postgresql_url_uses_psycopg_3(tmp_path: Path) -> None:
    """``postgresql://`` selects the psycopg 3 driver rather than the absent psycopg2."""
    with pytest.raises(StoreError, match=r"on postgresql\+psycopg://mcpln:\*\*\*@127.0.0.1:1/"):
        open_store(f"postgresql://mcpln:{FAKE_PASSWORD}@127.0.0.1:1/mcpln", default_dir=tmp_path)


def test_an_unparsable_url_is_a_config_error_without_the_url(tmp_path: Path) -> None:
    """A URL that cannot be parsed is reported without echoing it (it may hold a password)."""
    with pytest.raises(ConfigError, match="could not be parsed") as caught:
        open_store(f"mcpln:{FAKE_PASSWORD} at localhost", default_dir=tmp_path)
    assert FAKE_PASSWORD not in str(caught.value)


def test_an_unknown_database_type_is_a_config_error(tmp_path: Path) -> None:
    """A URL naming a database SQLAlchemy does not know raises ConfigError with examples."""
    with pytest.raises(ConfigError, match="unknown database type in oracle9://u:\\*\\*\\*@h/d") as caught:
        open_store(f"oracle9://u:{FAKE_PASSWORD}@h/d", default_dir=tmp_path)
    assert caught.value.hint is not None and "sqlite:///" in caught.value.hint


def test_an_unopenable_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    """A SQLite URL pointing at a directory raises StoreError naming the file."""
    with pytest.raises(StoreError, match=f"failed on sqlite:///{tmp_path}: unable to open database file"):
        open_store(f"sqlite:///{tmp_path}", default_dir=tmp_path)


def test_without_a_url_the_store_is_a_sqlite_file_in_the_default_dir(tmp_path: Path) -> None:
    """open_store(None) creates the default directory and mcpln.sqlite3 inside it."""
    default_dir = tmp_path / "state" / "mcpln"
    with open_store(None, default_dir=default_dir) as store:
        assert store.url == f"sqlite:///{default_dir / 'mcpln.sqlite3'}"
        assert store.list_runs() == []
    assert (default_dir / "mcpln.sqlite3").is_file()
