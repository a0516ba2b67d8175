"""LND over REST: the ``NodePort`` adapter and its HTTP machinery (shared with LNbits)."""

from mcp_lightning.adapters.lnd.capabilities import BackendCapabilities
from mcp_lightning.adapters.lnd.http_transport import HttpSettings
from mcp_lightning.adapters.lnd.node import LndRestConfig, LndRestNode

__all__ = ["BackendCapabilities", "HttpSettings", "LndRestConfig", "LndRestNode"]
