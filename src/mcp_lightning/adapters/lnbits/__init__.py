"""LNbits' node API: the ``NodePort`` adapter (no forwarding history, no graph)."""

from mcp_lightning.adapters.lnbits.node import FEES_ONLY_WARNING, NO_FORWARDS_WARNING, LnbitsConfig, LnbitsNode

__all__ = ["FEES_ONLY_WARNING", "NO_FORWARDS_WARNING", "LnbitsConfig", "LnbitsNode"]
