"""A made-up node of any size, the same for the same seed (for 100-channel tests and demos)."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.emulators.state import NodeState, PendingChannel
from mcp_lightning.units import Msat, Ppm, Sat

_CAPACITIES_SAT = (1_000_000, 2_000_000, 5_000_000, 10_000_000)
_FIRST_BLOCK = 800_000
_PRIVATE_EVERY = 15  # every 15th channel is private
_NO_REMOTE_POLICY_EVERY = 10  # every 10th peer never announced a policy
_HISTORY_DAYS = 30


def hex_id(label: str, *, prefix: str = "") -> str:
    """64 hex characters derived from ``label`` (txids), prefixed (``"02"``/``"03"`` for node ids)."""
    return prefix + hashlib.sha256(label.encode()).hexdigest()


def synthetic_state(n_channels: int = 100, *, n_forwards: int = 1000, seed: int = 1,
                    now: datetime | None = None) -> NodeState:
    """A node with ``n_channels`` open channels, one pending, and ``n_forwards`` forwards over 30 days.

    Args:
        n_channels: open channels (>= 2 for forwards).
        n_forwards: settled forwards between random pairs of channels, before ``now``.
        seed: the same seed gives the same node.
        now: end of the forwarding history (UTC); the current time when None.

    Returns:
        A fresh state; capacities 1-10 M sat, fee rates 0-2,000 ppm, CLTV delta 80, inbound fees 0.
    """
    rng = random.Random(seed)
    end = (now or datetime.now(UTC)).replace(microsecond=0)  # forwards in whole ms, as Core Lightning prints them
    channels = [_channel(index, rng, seed) for index in range(n_channels)]
    forwards = [_forward(rng, channels, end) for _ in range(n_forwards if n_channels >= 2 else 0)]
    pending = [PendingChannel(f"{hex_id(f'pending-{seed}')}:0", hex_id(f"pending-peer-{seed}", prefix="03"),
                              2_000_000)]
    return NodeState(pubkey=hex_id(f"node-{seed}", prefix="02"), alias=f"EMULATED-{seed}",
                     block_height=_FIRST_BLOCK + n_channels + 50_000, channels=channels, forwards=forwards,
                     pending=pending)


def _channel(index: int, rng: random.Random, seed: int) -> Channel:
    scid = ShortChannelId(_FIRST_BLOCK + index, rng.randrange(1, 3000), rng.randrange(0, 2))
    capacity = rng.choice(_CAPACITIES_SAT)
    local = rng.randrange(0, capacity + 1)
    max_htlc = Msat(capacity * 990)
    ours = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(rng.randrange(0, 2001)), time_lock_delta=80,
                  min_htlc_msat=Msat(1000), max_htlc_msat=max_htlc)
    theirs = None if index % _NO_REMOTE_POLICY_EVERY == _NO_REMOTE_POLICY_EVERY - 1 else Policy(
        base_fee_msat=Msat(rng.choice((0, 1000))), fee_rate_ppm=Ppm(rng.randrange(0, 3001)),
        time_lock_delta=rng.choice((40, 80, 144)), min_htlc_msat=Msat(1000), max_htlc_msat=max_htlc)
    return Channel(
        chan_id=scid.chan_id, scid=scid, chan_point=f"{hex_id(f'funding-{seed}-{index}')}:{scid.output_index}",
        peer_pubkey=hex_id(f"peer-{seed}-{index}", prefix="03"), peer_alias=f"peer-{index:03d}",
        capacity_sat=Sat(capacity), local_balance_sat=Sat(local), remote_balance_sat=Sat(capacity - local),
        active=index % 20 != 19, private=index % _PRIVATE_EVERY == _PRIVATE_EVERY - 1,
        opener=Opener.LOCAL if index % 2 else Opener.REMOTE, local_policy=ours, remote_policy=theirs,
        max_htlc_ceiling_msat=max_htlc)


def _forward(rng: random.Random, channels: list[Channel], end: datetime) -> Forward:
    incoming, outgoing = rng.sample(channels, 2)
    amount_out = rng.randrange(10_000, 5_000_000_000)
    policy = outgoing.local_policy or Policy(Msat(0), Ppm(0))
    fee = policy.base_fee_msat + amount_out * policy.fee_rate_ppm // 1_000_000
    at = end - timedelta(seconds=rng.randrange(60, _HISTORY_DAYS * 86_400), milliseconds=rng.randrange(1000))
    return Forward(in_chan_id=incoming.chan_id, out_chan_id=outgoing.chan_id, amount_in_msat=Msat(amount_out + fee),
                   amount_out_msat=Msat(amount_out), fee_msat=Msat(fee), resolved_at=at)
