"""Composition root: settings -> adapters, and where the bundled demo data lives."""

from __future__ import annotations

import os
from pathlib import Path

from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.config import Settings
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import ConfigError

DEFAULT_GRAPH = Path("graph") / "describegraph_2025-10-26.json.gz"
DEFAULT_NODE = Path("nodes") / "cln-loudtoll"


def data_dir() -> Path:
    """The bundled data folder: ``MCPLN_DATA_DIR``, else the repository's ``data/`` (editable
    install), else ``./data``.

    Raises:
        ConfigError: when none of them holds the bundled files.
    """
    candidates = [Path(p) for p in (os.environ.get("MCPLN_DATA_DIR"),) if p]
    candidates += [Path(__file__).resolve().parents[2] / "data", Path.cwd() / "data"]
    for candidate in candidates:
        if (candidate / DEFAULT_GRAPH).is_file():
            return candidate
    raise ConfigError(
        "the bundled data folder was not found (looked in: " + ", ".join(map(str, candidates)) + ")",
        hint="run from the repository root, set MCPLN_DATA_DIR, or pass --graph and --node",
    )


def default_graph_path() -> Path:
    """The bundled 2025-10-26 mainnet graph."""
    return data_dir() / DEFAULT_GRAPH


def default_node_path() -> Path:
    """The bundled LOUDTOLL Core Lightning export."""
    return data_dir() / DEFAULT_NODE


def open_node(settings: Settings) -> NodePort:
    """The live node named by ``MCPLN_NODE_URL``, rate-limited by ``MCPLN_NODE_REQUESTS_PER_MINUTE``.

    Raises:
        ConfigError: no node URL is configured, or it (or its credentials) is invalid.
    """
    if not settings.node_url:
        raise ConfigError("no node to write to: MCPLN_NODE_URL is not set",
                          hint="export MCPLN_NODE_URL=lnd+rest://host:8080 (or cln:///path/lightning-rpc, lnbits://host)")
    from mcp_lightning.adapters.lnd.http_transport import HttpSettings
    from mcp_lightning.adapters.node_url import open_node as open_node_url

    return open_node_url(settings.node_url, http=HttpSettings(requests_per_minute=settings.node_requests_per_minute))


def open_configured_store(settings: Settings) -> Store:
    """Open the store named by ``MCPLN_DATABASE_URL``, or the default SQLite file under ``MCPLN_HOME``."""
    return open_store(settings.database_url, default_dir=settings.home)
