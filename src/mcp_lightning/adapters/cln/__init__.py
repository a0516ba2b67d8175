"""Core Lightning over its JSON-RPC unix socket: the ``NodePort`` adapter.

Names are re-exported lazily: the export readers import ``adapters.cln.parse`` without loading
pyln-client.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClnConfig": "mcp_lightning.adapters.cln.node",
    "ClnNode": "mcp_lightning.adapters.cln.node",
    "RpcSettings": "mcp_lightning.adapters.cln.rpc",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mcp_lightning.adapters.cln' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
