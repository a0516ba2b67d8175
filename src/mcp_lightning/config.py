"""Configuration: environment settings and the YAML engine configuration with profiles.

``Settings`` reads ``MCPLN_*`` environment variables once, in the composition root. ``load_engine_config``
validates a YAML file (the bundled ``profiles/default.yaml`` by default) with pydantic and turns it
into the pure core's frozen :class:`EngineConfig`. Any problem is a :class:`ConfigError` that names
the file, the key and the value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mcp_lightning.engine.engine_config import (
    Bands,
    DataRules,
    EngineConfig,
    FeeSteps,
    LiquidityBands,
    SafetyLimits,
    ValveRules,
    WeightedHeuristic,
)
from mcp_lightning.errors import ConfigError
from mcp_lightning.heuristics import REGISTRY

DEFAULT_CONFIG_NAME = "default.yaml"


class Settings(BaseSettings):
    """Process settings from the environment (prefix ``MCPLN_``).

    Attributes:
        database_url: SQLAlchemy URL; None -> a SQLite file under ``home``.
        home: where the SQLite file lives (default ``~/.local/share/mcp-lightning``).
        cache_dir: where derived graph metrics are cached (default ``~/.cache/mcp-lightning``).
        node_url: the live node written to by ``apply``/``rollback`` (``lnd+rest://``, ``cln://``,
            ``lnbits://``); its credentials come from ``MCPLN_LND_*``/``MCPLN_LNBITS_*`` variables or files.
        node_requests_per_minute: client-side rate limit towards the node; a 100-channel rollback
            needs about 300 requests, so raise it for large batches.
    """

    model_config = SettingsConfigDict(env_prefix="MCPLN_", extra="ignore")

    database_url: str | None = None
    home: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "mcp-lightning")
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "mcp-lightning")
    node_url: str | None = None
    node_requests_per_minute: int = Field(100, ge=1, le=100_000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _HeuristicEntry(_Strict):
    enabled: bool = True
    weight: float = Field(ge=0.0, le=100.0)
    params: dict[str, Any] = Field(default_factory=dict)


class _Bands(_Strict):
    optimal_min: float = Field(0.7, ge=0, le=1)
    act_below: float = Field(0.5, ge=0, le=1)
    urgent_below: float = Field(0.3, ge=0, le=1)
    close_below: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> _Bands:
        if not self.close_below <= self.urgent_below <= self.act_below <= self.optimal_min:
            raise ValueError("bands must satisfy close_below <= urgent_below <= act_below <= optimal_min")
        return self


class _Liquidity(_Strict):
    low_local_ratio: float = Field(0.2, ge=0, le=1)
    high_local_ratio: float = Field(0.8, ge=0, le=1)
    target_local_ratio: float = Field(0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> _Liquidity:
        if not self.low_local_ratio < self.target_local_ratio < self.high_local_ratio:
            raise ValueError("liquidity must satisfy low_local_ratio < target_local_ratio < high_local_ratio")
        return self


class _Steps(_Strict):
    step_ratio: float = Field(0.15, gt=0, le=1)
    urgent_step_ratio: float = Field(0.30, gt=0, le=1)
    min_step_ppm: int = Field(10, ge=1, le=10_000)
    suggest_inbound_discount: bool = False
    inbound_discount_ratio: float = Field(0.25, ge=0, le=1)


class _Data(_Strict):
    min_history_days: float = Field(7.0, ge=0)
    stale_graph_days: float = Field(30.0, gt=0)
    min_competitors: int = Field(3, ge=1)
    demand_min_forwards_7d: int = Field(1, ge=1)
    demand_min_unserved_7d: int = Field(3, ge=1)
    close_idle_days: int = Field(30, ge=1)
    close_min_age_blocks: int = Field(4320, ge=0)
    cut_wait_days: float = Field(7.0, ge=0)


class _Safety(_Strict):
    min_fee_rate_ppm: int = Field(0, ge=0, le=1_000_000)
    max_fee_rate_ppm: int = Field(5000, ge=0, le=1_000_000)
    min_base_fee_msat: int = Field(0, ge=0)
    max_base_fee_msat: int = Field(5000, ge=0, le=10_000_000)
    max_change_ratio: float = Field(0.5, gt=0, le=10)
    max_change_floor_ppm: int = Field(10, ge=0)
    min_delta_ppm: int = Field(5, ge=0)
    min_delta_ratio: float = Field(0.05, ge=0, le=1)
    cooldown_s: int = Field(3600, ge=0)
    max_changes_per_day: int = Field(5, ge=1)
    blacklist_chan_ids: list[int] = Field(default_factory=list)
    blacklist_peers: list[str] = Field(default_factory=list)
    pinned_chan_ids: dict[int, int] = Field(default_factory=dict)
    pinned_peers: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> _Safety:
        if self.min_fee_rate_ppm > self.max_fee_rate_ppm:
            raise ValueError("min_fee_rate_ppm must not exceed max_fee_rate_ppm")
        if self.min_base_fee_msat > self.max_base_fee_msat:
            raise ValueError("min_base_fee_msat must not exceed max_base_fee_msat")
        return self


class _Valve(_Strict):
    enabled: bool = True
    engage_below_local_ratio: float = Field(0.5, ge=0, le=1)
    max_htlc_local_ratio: float = Field(0.5, gt=0, le=1)


class _ConfigFile(_Strict):
    profile: str = "balanced"
    heuristics: dict[str, _HeuristicEntry]
    bands: _Bands = _Bands()
    liquidity: _Liquidity = _Liquidity()
    steps: _Steps = _Steps()
    data: _Data = _Data()
    safety: _Safety = _Safety()
    valve: _Valve = _Valve()
    windows_days: list[int] = Field(default_factory=lambda: [1, 7, 30])
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)


def default_config_path() -> Path:
    """Path of the bundled default configuration."""
    return Path(str(resources.files("mcp_lightning") / "profiles" / DEFAULT_CONFIG_NAME))


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found", hint="pass an existing file with --config") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: invalid YAML{where}", hint="fix the syntax (indentation, colons, quotes)") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys, got {type(raw).__name__}")
    return raw


def _validation_message(path: Path, exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    value = first.get("input")
    shown = json.dumps(value, default=str)[:80] if not isinstance(value, dict) else "{...}"
    return f"{path}: key '{key}' has value {shown}: {first['msg']}"


def _build_heuristics(path: Path, entries: dict[str, _HeuristicEntry]) -> tuple[WeightedHeuristic, ...]:
    built = []
    for name, entry in entries.items():
        cls = REGISTRY.get(name)
        if cls is None:
            raise ConfigError(
                f"{path}: key 'heuristics.{name}' names no heuristic",
                hint=f"known heuristics: {', '.join(sorted(REGISTRY))}",
            )
        if not entry.enabled:
            continue
        known: set[str] = {f.name for f in fields(cls)} if is_dataclass(cls) else set()
        unknown = sorted(set(entry.params) - known)
        if unknown:
            raise ConfigError(
                f"{path}: key 'heuristics.{name}.params.{unknown[0]}' is not a parameter of {name}",
                hint=f"its parameters: {', '.join(sorted(known))}",
            )
        built.append(WeightedHeuristic(cls(**entry.params), entry.weight))
    if not built or sum(w.weight for w in built) <= 0:
        raise ConfigError(f"{path}: no enabled heuristic has a positive weight", hint="enable at least one heuristic")
    return tuple(built)


def load_engine_config(path: Path | None = None, profile: str | None = None) -> EngineConfig:
    """Load, validate and resolve an engine configuration.

    Args:
        path: a YAML file; None -> the bundled ``profiles/default.yaml``.
        profile: a profile name from the file's ``profiles``; None -> the file's ``profile`` key.

    Returns:
        The frozen :class:`EngineConfig` for that profile.

    Raises:
        ConfigError: unreadable file, invalid YAML, unknown key, out-of-range value, unknown heuristic
            or parameter, unknown profile. The message names the file, the key and the value.
    """
    path = path or default_config_path()
    raw = _read_yaml(path)
    profiles = raw.get("profiles") or {}
    chosen = profile or raw.get("profile") or "balanced"
    if not isinstance(profiles, dict) or (chosen not in profiles and chosen != "balanced"):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else "none"
        raise ConfigError(f"{path}: profile '{chosen}' is not defined", hint=f"defined profiles: {known}")
    override = profiles.get(chosen) or {}
    if not isinstance(override, dict):
        raise ConfigError(f"{path}: key 'profiles.{chosen}' must be a mapping, got {type(override).__name__}")
    merged = _deep_merge({k: v for k, v in raw.items() if k != "profiles"}, override)
    try:
        parsed = _ConfigFile.model_validate({**merged, "profiles": profiles})
    except ValidationError as exc:
        raise ConfigError(_validation_message(path, exc), hint="see the configuration table in the README") from exc
    if not parsed.windows_days or any(d <= 0 for d in parsed.windows_days):
        raise ConfigError(f"{path}: key 'windows_days' must list positive day counts, got {parsed.windows_days}")
    safety = parsed.safety
    return EngineConfig(
        profile=chosen,
        heuristics=_build_heuristics(path, parsed.heuristics),
        bands=Bands(**parsed.bands.model_dump()),
        liquidity=LiquidityBands(**parsed.liquidity.model_dump()),
        steps=FeeSteps(**parsed.steps.model_dump()),
        data=DataRules(**parsed.data.model_dump()),
        safety=SafetyLimits(
            **{
                **safety.model_dump(),
                "blacklist_chan_ids": frozenset(safety.blacklist_chan_ids),
                "blacklist_peers": frozenset(safety.blacklist_peers),
            }
        ),
        valve=ValveRules(**parsed.valve.model_dump()),
        windows_days=tuple(sorted(set(parsed.windows_days) | {1, 7, 30})),
    )


def config_fingerprint(config: EngineConfig) -> str:
    """sha256 hex of the resolved configuration (stored with each run)."""

    def plain(value: Any) -> Any:
        if is_dataclass(value) and not isinstance(value, type):
            return {"_type": type(value).__name__, **{f.name: plain(getattr(value, f.name)) for f in fields(value)}}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted(plain(v) for v in value)
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        return value

    text = json.dumps(plain(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = ["Settings", "config_fingerprint", "default_config_path", "load_engine_config"]
