"""Backtest scenarios: YAML files in ``scenarios/`` (node, graph, archetype, demand, network, seeds).

Example (every key but ``name`` is optional; the values shown are the defaults)::

    name: saturated
    description: LOUDTOLL with its outbound liquidity drained
    node: null                 # node export folder; null = the bundled LOUDTOLL export
    graph: null                # graph snapshot; null = the bundled 2025-10-26 graph
    days: 30                   # simulated days
    seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    decision_interval_hours: 6 # how often every strategy decides
    archetype: {kind: saturated, params: {local_ratio: 0.05}}
    demand:
      payments_per_day: 25000  # network-wide Poisson rate
      n_destinations: 200      # receivers (drawn by weight)
      weighting: capacity      # capacity | degree | uniform (senders and receivers)
      focus: true              # simulate only payments whose candidate routes can touch our node
    network:
      balance_model: uniform   # uniform | half | bimodal (channels not ours)
      relax_half_life_hours: 24
      probability_model: apriori  # apriori | bimodal
      max_attempts: 5
      fee_limit_ratio: 0.05
    strategies: [static, charge_lnd, lndg, clboss, feelancer, ours_conservative, ours_balanced, ours_aggressive]

Relative ``node``/``graph`` paths are resolved against the scenario file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcp_lightning.errors import ConfigError
from mcp_lightning.sim.archetypes import ARCHETYPES

DEFAULT_STRATEGIES = ("static", "charge_lnd", "lndg", "clboss", "feelancer",
                      "ours_conservative", "ours_balanced", "ours_aggressive")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Archetype(_Strict):
    kind: str = "as_is"
    params: dict[str, float] = Field(default_factory=dict)


class _Demand(_Strict):
    payments_per_day: float = Field(25_000.0, gt=0, le=10_000_000)
    n_destinations: int = Field(200, ge=1, le=20_000)
    weighting: Literal["capacity", "degree", "uniform"] = "capacity"
    focus: bool = True


class _Network(_Strict):
    balance_model: Literal["uniform", "half", "bimodal"] = "uniform"
    relax_half_life_hours: float = Field(24.0, ge=0)
    probability_model: Literal["apriori", "bimodal"] = "apriori"
    max_attempts: int = Field(5, ge=1, le=50)
    fee_limit_ratio: float = Field(0.05, gt=0, le=1)


class _Scenario(_Strict):
    name: str
    description: str = ""
    node: str | None = None
    graph: str | None = None
    days: float = Field(30.0, gt=0, le=365)
    seeds: list[int] = Field(default_factory=lambda: list(range(1, 11)), min_length=1)
    decision_interval_hours: float = Field(6.0, gt=0, le=24 * 7)
    archetype: _Archetype = _Archetype()
    demand: _Demand = _Demand()
    network: _Network = _Network()
    strategies: list[str] = Field(default_factory=lambda: list(DEFAULT_STRATEGIES), min_length=1)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario (see the module docstring for the meaning of each field)."""

    name: str
    description: str
    node_path: Path | None
    graph_path: Path | None
    days: float
    seeds: tuple[int, ...]
    decision_interval_hours: float
    archetype: str
    archetype_params: dict[str, float]
    payments_per_day: float
    n_destinations: int
    weighting: str
    focus: bool
    balance_model: str
    relax_half_life_hours: float
    probability_model: str
    max_attempts: int
    fee_limit_ratio: float
    strategies: tuple[str, ...]
    source: str


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file.

    Raises:
        ConfigError: unreadable file, invalid YAML, unknown key, out-of-range value or unknown
            archetype; the message names the file, the key and the value.
    """
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: scenario file not found",
                          hint="pass a file from scenarios/ with --scenario") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the scenario ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML", hint="fix the syntax (indentation, colons, quotes)") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a scenario must be a mapping of keys, got {type(raw).__name__}")
    try:
        parsed = _Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: key '{key}' has value {first.get('input')!r}: {first['msg']}",
                          hint="see the scenario keys in docs/simulator.md") from exc
    if parsed.archetype.kind not in ARCHETYPES:
        raise ConfigError(f"{path}: key 'archetype.kind' has value {parsed.archetype.kind!r}",
                          hint=f"known archetypes: {', '.join(ARCHETYPES)}")
    return _resolved(parsed, path)


def _resolved(parsed: _Scenario, path: Path) -> Scenario:
    def resolve(value: str | None) -> Path | None:
        if value is None:
            return None
        candidate = Path(value)
        return candidate if candidate.is_absolute() else (path.parent / candidate)

    return Scenario(
        name=parsed.name, description=parsed.description, node_path=resolve(parsed.node),
        graph_path=resolve(parsed.graph), days=parsed.days, seeds=tuple(parsed.seeds),
        decision_interval_hours=parsed.decision_interval_hours, archetype=parsed.archetype.kind,
        archetype_params=dict(parsed.archetype.params), payments_per_day=parsed.demand.payments_per_day,
        n_destinations=parsed.demand.n_destinations, weighting=parsed.demand.weighting, focus=parsed.demand.focus,
        balance_model=parsed.network.balance_model, relax_half_life_hours=parsed.network.relax_half_life_hours,
        probability_model=parsed.network.probability_model, max_attempts=parsed.network.max_attempts,
        fee_limit_ratio=parsed.network.fee_limit_ratio, strategies=tuple(parsed.strategies), source=str(path),
    )
