"""LND over REST: the ``NodePort`` adapter and its HTTP machinery (shared with LNbits).

Names are re-exported lazily: the export readers import ``adapters.lnd.rest_parse`` without
loading httpx.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BackendCapabilities": "mcp_lightning.adapters.lnd.capabilities",
    "HttpSettings": "mcp_lightning.adapters.lnd.http_transport",
    "LndRestConfig": "mcp_lightning.adapters.lnd.node",
    "LndRestNode": "mcp_lightning.adapters.lnd.node",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mcp_lightning.adapters.lnd' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
