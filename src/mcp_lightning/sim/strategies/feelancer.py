"""feelancer: a PID controller on each channel's liquidity sets a spread; fee = spread + margin."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.sim.strategies.base import StrategyInput, with_fee


def liquidity_error(remote_ratio: float, target: float) -> float:
    """Map the remote share to an error in [-0.5, 0.5]: 0 at ``target``, +0.5 all remote, -0.5 all local."""
    if remote_ratio >= target:
        return 0.0 if target >= 1.0 else 0.5 * (remote_ratio - target) / (1.0 - target)
    return 0.0 if target <= 0.0 else -0.5 * (target - remote_ratio) / target


@dataclass(slots=True)
class SpreadController:
    """feelancer's spread controller for one channel (continuous-time PID, exact between updates).

    ``ds/dt = Kp e(t) + Ki E(t) + Kd D(t)`` where ``e`` is piecewise linear between observations,
    ``E`` its exponential moving average (smoothing ``alpha_i``) and ``D`` the exponentially decayed
    derivative (``alpha_d``); time in days, ``K`` in ppm per day.
    """

    spread_ppm: float
    error: float
    ema: float
    derivative: float = 0.0

    def update(self, error: float, dt_days: float, k: FeelancerGains) -> None:
        """Advance by ``dt_days`` to the new ``error`` (feelancer docs/concept.md, chapter 4)."""
        if dt_days <= 0:
            return
        e0, e1 = self.error, error
        beta1 = (e1 - e0) / dt_days
        decay_i, decay_d = math.exp(-k.alpha_i * dt_days), math.exp(-k.alpha_d * dt_days)
        mean = (e0 + e1) / 2.0
        proportional = k.kp * dt_days * mean
        integral = k.ki * (dt_days * (mean - beta1 / k.alpha_i)
                           + (1.0 - decay_i) / k.alpha_i * (self.ema + beta1 / k.alpha_i - e0))
        derivative = k.kd * (e1 - e0 + (1.0 - decay_d) / k.alpha_d * (self.derivative - beta1))
        self.spread_ppm += proportional + integral + derivative
        self.ema = e1 - beta1 / k.alpha_i + decay_i * (self.ema + beta1 / k.alpha_i - e0)
        self.derivative = beta1 + decay_d * (self.derivative - beta1)
        self.error = e1


@dataclass(frozen=True, slots=True)
class FeelancerGains:
    """Controller parameters (time unit: days)."""

    kp: float = 40.0
    ki: float = 80.0
    alpha_i: float = 0.1
    kd: float = 30.0
    alpha_d: float = 0.9


@dataclass(slots=True)
class Feelancer:
    """feelancer's spread rate controller with a constant margin.

    Outbound ``fee_rate_ppm = max(0, spread + margin)``. The margin stays at its mean-reversion
    level ``margin_ppm`` (default 0, so the spread starts at the channel's current fee). The spread
    of each channel follows a PID controller on the liquidity error: the channel's remote share
    against the node's average remote share (the target), mapped linearly to [-0.5, 0.5] — depleted
    channels (mostly remote) get positive error and a rising fee, full ones a falling fee. Gains are
    the worked example of the concept document: Kp 40, Ki 80 (alpha_i 0.1), Kd 30 (alpha_d 0.9) per
    day. Inbound fees (the other half of feelancer's margin/spread model) are not simulated.

    Source: feelancer21/feelancer ``docs/concept.md`` chapters 3 (margin and spread), 4 (spread
    controller, recursive integrals) and 5 (mean-reverting margin).
    """

    name: ClassVar[str] = "feelancer"
    gains: FeelancerGains = field(default_factory=FeelancerGains)
    margin_ppm: float = 0.0
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    _controllers: dict[int, SpreadController] = field(default_factory=dict)
    _last: datetime | None = None

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """Advance every channel's controller to ``now`` and propose the resulting fee."""
        target = _target_remote_ratio(view.node)
        dt_days = 0.0 if self._last is None else (view.now - self._last).total_seconds() / 86_400
        self._last = view.now
        proposals: dict[int, Policy] = {}
        for channel in view.node.channels:
            policy = channel.local_policy
            if policy is None or channel.capacity_sat <= 0:
                continue
            error = liquidity_error(channel.remote_balance_sat / channel.capacity_sat, target)
            controller = self._controllers.get(channel.chan_id)
            if controller is None:
                spread = float(policy.fee_rate_ppm) - self.margin_ppm
                self._controllers[channel.chan_id] = SpreadController(spread, error, error)
                continue
            controller.update(error, dt_days, self.gains)
            fee = max(0, round(controller.spread_ppm + self.margin_ppm))
            if fee != int(policy.fee_rate_ppm):
                proposals[channel.chan_id] = with_fee(policy, fee)
        return proposals


def _target_remote_ratio(node: NodeSnapshot) -> float:
    capacity = sum(int(c.capacity_sat) for c in node.channels)
    remote = sum(int(c.remote_balance_sat) for c in node.channels)
    return remote / capacity if capacity > 0 else 0.5
