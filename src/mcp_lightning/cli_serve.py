"""``mcpln serve`` (the scoring REST API under uvicorn) and ``mcpln api-key`` (create, list, revoke).

Wire them into ``cli.py`` with::

    from mcp_lightning.cli_serve import api_key_app, serve
    app.command()(serve)
    app.add_typer(api_key_app, name="api-key")
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from mcp_lightning.bootstrap import open_configured_store
from mcp_lightning.config import Settings
from mcp_lightning.errors import InputError, NotFoundError

api_key_app = typer.Typer(help="Create, list and revoke API keys of `mcpln serve`.", no_args_is_help=True)


def _guarded(action: Callable[[], None]) -> None:
    from mcp_lightning.cli import guarded

    guarded(action)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes (each loads and scores the graph).", min=1,
                                         max=32)] = 1,
    graph: Annotated[Path | None, typer.Option(help="Graph snapshot to serve. Default: MCPLN_GRAPH_PATH or the "
                                                    "bundled 2025-10-26 graph.")] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Serve the scoring REST API (OpenAPI at /docs, health at /health, metrics at /metrics)."""

    def action() -> None:
        import uvicorn

        if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise InputError(f"--log-level: value {log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        if graph is not None:
            if not graph.is_file():
                raise InputError(f"--graph: {graph} is not a file", hint="pass a describegraph or listchannels file")
            os.environ["MCPLN_GRAPH_PATH"] = str(graph.resolve())
        os.environ["MCPLN_LOG_LEVEL"] = log_level.upper()
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="mcpln-metrics-")
        from mcp_lightning.logging_setup import configure_logging

        configure_logging(level=log_level)
        uvicorn.run("mcp_lightning.api.app:app_factory", factory=True, host=host, port=port, workers=workers,
                    log_config=None, access_log=False, proxy_headers=False, server_header=False,
                    timeout_keep_alive=5, backlog=4096, loop=_loop(), http=_http())

    _guarded(action)


def _loop() -> Literal["uvloop", "auto"]:
    """uvloop when installed (faster event loop), else uvicorn's default."""
    return "uvloop" if importlib.util.find_spec("uvloop") else "auto"


def _http() -> Literal["httptools", "auto"]:
    """httptools when installed (faster HTTP parser), else uvicorn's default."""
    return "httptools" if importlib.util.find_spec("httptools") else "auto"


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="Who the key is for, e.g. 'dashboard'.")],
    scope: Annotated[list[str] | None, typer.Option(help="read (default) and/or admin; repeat for both.")] = None,
) -> None:
    """Create a key and print it once (only its salted hash is stored)."""
    from mcp_lightning.api.security import create_api_key

    def action() -> None:
        store = open_configured_store(Settings())
        try:
            plaintext = create_api_key(store, name, scope or ["read"])
        finally:
            store.close()
        typer.echo(plaintext)
        typer.echo("Store it now: it is not shown again.", err=True)

    _guarded(action)


@api_key_app.command("list")
def api_key_list() -> None:
    """List keys (id, name, scopes, created, revoked); never the secrets."""
    from mcp_lightning.adapters.store.store_api import ApiStore

    def action() -> None:
        store = open_configured_store(Settings())
        try:
            keys = ApiStore(store).list_api_keys()
        finally:
            store.close()
        for key in keys:
            revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            typer.echo(f"{key.key_id}  {key.name:<20} {','.join(key.scopes):<11} "
                       f"created {key.created_at:%Y-%m-%d %H:%M}  {revoked}")

    _guarded(action)


@api_key_app.command("revoke")
def api_key_revoke(key_id: Annotated[str, typer.Argument(help="The key's 12-character id.")]) -> None:
    """Revoke a key (servers stop accepting it within 60 s)."""
    from mcp_lightning.adapters.store.store_api import ApiStore

    def action() -> None:
        store = open_configured_store(Settings())
        try:
            revoked = ApiStore(store).revoke_api_key(key_id, datetime.now(UTC))
        finally:
            store.close()
        if not revoked:
            raise NotFoundError(f"no active API key {key_id}", hint="list keys with `mcpln api-key list`")
        typer.echo(f"revoked {key_id}")

    _guarded(action)


if __name__ == "__main__":  # python -m mcp_lightning.cli_serve serve ... (before the lead wires it into cli.py)
    standalone = typer.Typer(add_completion=False, no_args_is_help=True)
    standalone.command()(serve)
    standalone.add_typer(api_key_app, name="api-key")
    standalone()
