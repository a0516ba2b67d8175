"""Scores of every node and channel of a graph snapshot, computed at once with numpy (pure).

* ``scoring.features.node_features(graph)`` — per-node figures in one pass over the channels.
* ``scoring.node_scores.score_nodes(graph, topology, now=...)`` — centrality, reliability,
  capacity, fee competitiveness and a composite for EVERY node, each in [0, 1] with a reason.
* ``scoring.rankings.rank_nodes(table, ...)`` — filter, sort and page the whole network.
* ``scoring.channel_scores.score_channel(table, channel)`` — one public channel's score.

Nothing here does I/O; the current time arrives as an argument.
"""
