"""Fee strategies compared in backtests, and their explicit registry.

``REGISTRY`` maps each name accepted by ``mcpln backtest --strategies`` to a factory that builds a
fresh (stateful) strategy for one run. An unknown name is an input error, never a silent skip.

| name                | what it is (source in its module docstring)                              |
|---------------------|--------------------------------------------------------------------------|
| static              | keep every fee                                                           |
| charge_lnd          | charge-lnd ``proportional``: fee linear in the local balance             |
| lndg                | LNDg Auto-Fees: liquidity zones, flow signals, 24 h per-channel cooldown |
| clboss              | CLBOSS: competitors' capacity-weighted median x balance multiplier       |
| feelancer           | feelancer: PID spread controller on the liquidity error                  |
| ours_conservative   | our engine, conservative profile                                         |
| ours_balanced       | our engine, balanced profile                                             |
| ours_aggressive     | our engine, aggressive profile                                           |
| ours_balanced_no_valve | our engine, balanced profile, liquidity valve off (the ablation)      |
| charge_lnd_valve    | charge_lnd's fees with our liquidity valve (``valved.WithValve``)        |
| clboss_valve        | CLBOSS's fees with our liquidity valve                                   |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mcp_lightning.errors import InputError
from mcp_lightning.sim.strategies.base import FeeStrategy, StrategyInput
from mcp_lightning.sim.strategies.charge_lnd import ChargeLndProportional
from mcp_lightning.sim.strategies.clboss import Clboss
from mcp_lightning.sim.strategies.feelancer import Feelancer
from mcp_lightning.sim.strategies.lndg import LndgAutoFees
from mcp_lightning.sim.strategies.ours import Ours, ours_factory
from mcp_lightning.sim.strategies.static import Static
from mcp_lightning.sim.strategies.valved import WithValve

StrategyFactory = Callable[[], FeeStrategy]

REGISTRY: dict[str, StrategyFactory] = {
    "static": Static,
    "charge_lnd": ChargeLndProportional,
    "lndg": LndgAutoFees,
    "clboss": Clboss,
    "feelancer": Feelancer,
    "ours_conservative": lambda: ours_factory("conservative"),
    "ours_balanced": lambda: ours_factory("balanced"),
    "ours_aggressive": lambda: ours_factory("aggressive"),
    "ours_balanced_no_valve": lambda: ours_factory("balanced", valve=False),
    "charge_lnd_valve": lambda: WithValve(ChargeLndProportional()),
    "clboss_valve": lambda: WithValve(Clboss()),
}

BASELINES: tuple[str, ...] = ("static", "charge_lnd", "lndg", "clboss", "feelancer")
VALVED_BASELINES: tuple[str, ...] = ("charge_lnd_valve", "clboss_valve")  # the two that were ever the best baseline


def resolve(names: Sequence[str]) -> list[str]:
    """Check strategy names against the registry, keeping their order and dropping repeats.

    Raises:
        InputError: for an unknown name (the message lists the known ones).
    """
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise InputError(f"--strategies: unknown strategy {unknown[0]!r}",
                         hint=f"known strategies: {', '.join(REGISTRY)}")
    if not names:
        raise InputError("--strategies: no strategy given", hint=f"known strategies: {', '.join(REGISTRY)}")
    return list(dict.fromkeys(names))


__all__ = ["BASELINES", "REGISTRY", "FeeStrategy", "Ours", "StrategyFactory", "StrategyInput", "resolve"]
