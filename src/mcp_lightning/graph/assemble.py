"""Turn parsed channels into a ``Graph``: refuse broken files, date the snapshot, count stale
policies, prune zombies, and fill the ``IngestReport``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode, IngestReport
from mcp_lightning.errors import InputFileError
from mcp_lightning.graph.fast_build import new_channel
from mcp_lightning.graph.ingest import IngestTally, ParsedGraph, RawChannel
from mcp_lightning.graph.ingest_limits import IngestLimits
from mcp_lightning.units import SECONDS_PER_DAY

_SKEW_PERCENTILE = 0.99


def assemble(parsed: ParsedGraph, *, source: str, fingerprint: str, limits: IngestLimits) -> Graph:
    """Build the graph from a parser's output, applying the stale and zombie rules.

    Counts in the report are over the records read (before zombie pruning), except
    ``n_channels_kept``. A direction is stale when its update time is older than
    ``limits.stale_after_days`` before ``taken_at`` or unknown; a channel is a zombie when both
    directions are stale or missing (LND's rule), and is removed unless ``limits.keep_zombies``.

    Args:
        parsed: what a format parser produced.
        source: the file name, for the graph and error messages.
        fingerprint: sha256 hex of the file bytes.
        limits: the ingest limits.

    Returns:
        The graph; ``taken_at`` is the file's stated snapshot time when it has one, else the newest
        update time of any direction.

    Raises:
        InputFileError: when the file holds no records, when more than ``limits.max_bad_ratio`` of
            the records are malformed or of the policies absurd, when nothing is dated, or when no
            channel is left.
    """
    tally = parsed.tally
    _refuse_malformed(parsed, source, limits)
    taken_at = _date_snapshot(parsed, source, limits)
    _refuse_absurd(tally, source, limits)
    horizon_s = taken_at.timestamp() - limits.stale_after_days * SECONDS_PER_DAY
    kept: list[GraphChannel] = []
    n_stale = n_zombie = 0
    for raw in parsed.channels:
        dead1 = raw.node1_update_s is None or raw.node1_update_s < horizon_s
        dead2 = raw.node2_update_s is None or raw.node2_update_s < horizon_s
        n_stale += (dead1 and raw.node1_policy is not None) + (dead2 and raw.node2_policy is not None)
        if dead1 and dead2:
            n_zombie += 1
            if not limits.keep_zombies:
                continue
        kept.append(new_channel(raw.chan_id, raw.scid, raw.node1_pubkey, raw.node2_pubkey,
                                raw.capacity_sat, raw.node1_policy, raw.node2_policy))
    if not kept:
        raise InputFileError(source, f"all {n_zombie} channels are zombies (both directions older than "
                             f"{limits.stale_after_days:g} days before {taken_at:%Y-%m-%d %H:%M} UTC)",
                             hint="load it with IngestLimits(keep_zombies=True) to keep them")
    report = IngestReport(
        n_channels_read=tally.n_records, n_channels_kept=len(kept), n_policies_null=tally.n_policies_null,
        n_policies_absurd=tally.n_policies_absurd, n_policies_stale=n_stale,
        n_channels_skipped=tally.n_records_skipped,
        skipped_examples=tuple(tally.skipped + tally.skipped_nodes)[: limits.n_examples],
        n_channels_zombie=n_zombie, n_nodes_skipped=tally.n_nodes_skipped,
        absurd_examples=tuple(tally.absurd))
    return Graph(nodes=_nodes_with_endpoints(parsed.nodes, kept), channels=tuple(kept), taken_at=taken_at,
                 source=source, fingerprint=fingerprint, format=parsed.format, report=report)


def _refuse_malformed(parsed: ParsedGraph, source: str, limits: IngestLimits) -> None:
    tally, noun = parsed.tally, parsed.record_noun
    if tally.n_records == 0:
        raise InputFileError(source, f"holds no {noun} records (the channel list is empty)",
                             hint="export the graph from a node that has synced its gossip")
    if tally.n_records_skipped > limits.max_bad_ratio * tally.n_records:
        item, reason = tally.skipped[0]
        raise InputFileError(
            source, f"{tally.n_records_skipped} of {tally.n_records} {noun} records are malformed; "
            f"first: {item}: {reason}",
            hint="check that the file is unmodified output of the node's graph command")


def _refuse_absurd(tally: IngestTally, source: str, limits: IngestLimits) -> None:
    if tally.n_policies_present and tally.n_policies_absurd > limits.max_bad_ratio * tally.n_policies_present:
        item, reason = tally.absurd[0]
        raise InputFileError(
            source, f"{tally.n_policies_absurd} of {tally.n_policies_present} policies have absurd values; "
            f"first: {item}: {reason}",
            hint="check the units of the fee fields (fee rates in ppm, base fees in msat)")


def _date_snapshot(parsed: ParsedGraph, source: str, limits: IngestLimits) -> datetime:
    """The snapshot time; drops (as absurd) directions stamped far after it, so they cannot move it."""
    times = sorted(t for raw in parsed.channels for t in (raw.node1_update_s, raw.node2_update_s)
                   if t is not None)
    skew_s = limits.max_future_skew_days * SECONDS_PER_DAY
    stated = parsed.stated_taken_at
    cutoff_s = float("inf")
    if stated is not None:
        cutoff_s = stated.timestamp() + skew_s
    elif len(times) >= limits.min_updates_for_skew_check:
        cutoff_s = times[int(_SKEW_PERCENTILE * (len(times) - 1))] + skew_s
    if times and times[-1] > cutoff_s:
        _drop_future(parsed.channels, cutoff_s, parsed.tally)
        times = [t for t in times if t <= cutoff_s]
    if stated is not None:
        return stated
    if not times:
        raise InputFileError(source, "no channel or policy carries a last_update time, so the snapshot "
                             "cannot be dated", hint="export the graph with a node version that reports "
                             "update times")
    return datetime.fromtimestamp(times[-1], tz=UTC)


def _drop_future(channels: list[RawChannel], cutoff_s: float, tally: IngestTally) -> None:
    """Forget update times after ``cutoff_s``; their policies are dropped and counted as absurd."""
    for index, raw in enumerate(channels):
        for side, update_s, policy in (("node1", raw.node1_update_s, raw.node1_policy),
                                       ("node2", raw.node2_update_s, raw.node2_policy)):
            if update_s is None or update_s <= cutoff_s:
                continue
            if policy is not None:
                stamp = datetime.fromtimestamp(update_s, tz=UTC)
                tally.drop_absurd(f"channel {raw.scid} {side}",
                                  f"field 'last_update' has value {update_s} ({stamp:%Y-%m-%d %H:%M} UTC), "
                                  "far after the rest of the snapshot (a broken clock)")
            if side == "node1":
                raw = raw._replace(node1_policy=None, node1_update_s=None)
            else:
                raw = raw._replace(node2_policy=None, node2_update_s=None)
        channels[index] = raw


def _nodes_with_endpoints(nodes: dict[str, GraphNode], channels: list[GraphChannel]) -> dict[str, GraphNode]:
    """Announced nodes plus every channel endpoint missing from the node list (alias "")."""
    result = dict(nodes)
    for channel in channels:
        for pubkey in (channel.node1_pubkey, channel.node2_pubkey):
            if pubkey not in result:
                result[pubkey] = GraphNode(pubkey=pubkey, alias="")
    return result
