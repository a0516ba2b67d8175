"""Settings of ``mcpln serve``: the process ``Settings`` plus the API's own keys (prefix ``MCPLN_``).

| variable | default | unit / range | what |
|---|---|---|---|
| ``MCPLN_GRAPH_PATH`` | bundled 2025-10-26 graph | file | graph snapshot scored and served |
| ``MCPLN_REDIS_URL`` | unset | ``redis://127.0.0.1:6379/0`` | shared cache and rate limits; unset: in-process only |
| ``MCPLN_REDIS_KEY_PREFIX`` | ``mcpln:`` | text | prefix of every Redis key |
| ``MCPLN_REDIS_TIMEOUT_S`` | 0.5 | s, > 0 | connect and command timeout |
| ``MCPLN_DB_POOL_SIZE`` | 5 | connections, >= 1 | PostgreSQL pool |
| ``MCPLN_DB_MAX_OVERFLOW`` | 10 | connections, >= 0 | extra connections under load |
| ``MCPLN_DB_POOL_TIMEOUT_S`` | 5 | s | wait for a free connection |
| ``MCPLN_DB_CONNECT_TIMEOUT_S`` | 3 | s, >= 1 | opening a connection |
| ``MCPLN_CORS_ORIGINS`` | ``[]`` | JSON list | origins allowed by CORS (none by default) |
| ``MCPLN_MAX_BODY_BYTES`` | 65536 | bytes | larger request bodies get 413 |
| ``MCPLN_RATE_LIMIT_ANONYMOUS_PER_MIN`` | 100 | requests/min per IP | without a key |
| ``MCPLN_RATE_LIMIT_KEY_PER_MIN`` | 1000 | requests/min per key | with a key |
| ``MCPLN_RATE_LIMIT_HEAVY_PER_MIN`` | 10 | requests/min per key or IP | batch, recalculate, force_recalculate |
| ``MCPLN_REQUIRE_API_KEY`` | false | bool | refuse anonymous reads (401) |
| ``MCPLN_CIRCUIT_FAILURES`` | 5 | failures in a row | opens a dependency's circuit |
| ``MCPLN_CIRCUIT_OPEN_S`` | 30 | s | how long an open circuit skips the dependency |
| ``MCPLN_POLL_INTERVAL_S`` | 5 | s | how often new runs, policy changes and re-syncs are looked for |
| ``MCPLN_LRU_SIZE`` | 4096 | entries | in-process cache size |
| ``MCPLN_PERSIST_SCORES`` | true | bool | store every snapshot's node scores in ``node_scores`` |
| ``MCPLN_LOG_LEVEL`` / ``MCPLN_LOG_JSON`` | INFO / true | | log level and format |
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from mcp_lightning.config import Settings


class ServeSettings(Settings):
    """Everything ``mcpln serve`` reads from the environment (see the module table)."""

    graph_path: Path | None = None
    topology_method: Literal["sampled", "exact"] = "sampled"
    redis_url: str | None = None
    redis_key_prefix: str = "mcpln:"
    redis_timeout_s: float = Field(0.5, gt=0, le=30)
    db_pool_size: int = Field(5, ge=1, le=200)
    db_max_overflow: int = Field(10, ge=0, le=500)
    db_pool_timeout_s: float = Field(5.0, gt=0, le=120)
    db_connect_timeout_s: int = Field(3, ge=1, le=60)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(65_536, ge=1024, le=16_777_216)
    rate_limit_anonymous_per_min: int = Field(100, ge=1)
    rate_limit_key_per_min: int = Field(1000, ge=1)
    rate_limit_heavy_per_min: int = Field(10, ge=1)
    require_api_key: bool = False
    circuit_failures: int = Field(5, ge=1, le=1000)
    circuit_open_s: float = Field(30.0, gt=0, le=3600)
    poll_interval_s: float = Field(5.0, gt=0, le=3600)
    lru_size: int = Field(4096, ge=16, le=1_000_000)
    persist_scores: bool = True
    log_level: str = "INFO"
    log_json: bool = True
