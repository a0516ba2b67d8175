"""MCP Lightning: a tested, auditable fee manager for Lightning Network routing nodes."""

__version__ = "0.1.0"
