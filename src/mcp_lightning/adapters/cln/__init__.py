"""Core Lightning over its JSON-RPC unix socket: the ``NodePort`` adapter."""

from mcp_lightning.adapters.cln.node import ClnConfig, ClnNode
from mcp_lightning.adapters.cln.rpc import RpcSettings

__all__ = ["ClnConfig", "ClnNode", "RpcSettings"]
