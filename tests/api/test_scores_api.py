"""Score endpoints through HTTP, on the real PostgreSQL and Redis, with the small fixture graph."""

from __future__ import annotations

from datetime import datetime

from mcp_lightning.api.settings import ServeSettings
from tests.api.conftest import ALICE, BOB, CAROL, DAVE, ERIN, TestClient, redis_keys

NODE = "/api/v1/lightning/scores/node/"
SCORE_NAMES = {"centrality", "reliability", "capacity", "fee_competitiveness", "composite"}


def test_node_score_has_five_scores_in_the_unit_range_each_with_a_reason(client: TestClient) -> None:
    """Dave's scores are the five documented ones, each in [0, 1] with a non-empty reason."""
    response = client.get(NODE + DAVE)
    assert response.status_code == 200
    body = response.json()
    assert set(body["scores"]) == SCORE_NAMES
    assert all(0.0 <= s["value"] <= 1.0 and s["reason"] for s in body["scores"].values())
    assert (body["alias"], body["n_channels"], body["capacity_sat"], body["n_nodes"]) == ("dave", 2, 7_000_000, 5)


def test_a_node_without_channels_still_has_scores(client: TestClient) -> None:
    """Erin lost her only channel to zombie pruning; she is still scored (all zero), since every node is."""
    body = client.get(NODE + ERIN).json()
    assert body["n_channels"] == 0
    assert {name: s["value"] for name, s in body["scores"].items()} == dict.fromkeys(SCORE_NAMES, 0.0)
    assert body["rank"] == 5


def test_second_request_is_a_cache_hit_stored_in_redis(client: TestClient, api_settings: ServeSettings) -> None:
    """The first request misses and fills Redis under the test's prefix; the second one hits."""
    first = client.get(NODE + ALICE)
    second = client.get(NODE + ALICE)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert any(":scores:node:" in key for key in redis_keys(str(api_settings.redis_url), api_settings.redis_key_prefix))


def test_force_recalculate_bypasses_the_cache_and_counts_as_heavy(client: TestClient) -> None:
    """force_recalculate answers the same scores, marked bypass, under the heavy limit of 10 per minute."""
    cached = client.get(NODE + BOB).json()
    forced = client.get(NODE + BOB, params={"force_recalculate": "true"})
    assert forced.headers["X-Cache"] == "bypass"
    assert forced.headers["X-RateLimit-Limit"] == "10"
    assert forced.json() == cached


def test_unknown_node_is_a_404_that_names_it(client: TestClient) -> None:
    """A well-formed node id absent from the graph gets the standard error body with status 404."""
    missing = "03" + "f" * 64
    response = client.get(NODE + missing)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found" and missing in body["detail"] and body["hint"]
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_malformed_node_id_is_a_422_validation_error(client: TestClient) -> None:
    """A node id that is not 33 bytes of hex is refused before any lookup, in the standard error body."""
    body = client.get(NODE + "not-a-pubkey").json()
    assert body["error"] == "validation_error" and "pubkey" in body["detail"]


def test_channel_score_is_the_same_by_chan_id_and_by_scid(client: TestClient) -> None:
    """800000x1x0 (alice-bob) is found by its short channel id and by its uint64 chan_id alike."""
    by_scid = client.get("/api/v1/lightning/scores/channel/800000x1x0")
    assert by_scid.status_code == 200
    body = by_scid.json()
    by_id = client.get(f"/api/v1/lightning/scores/channel/{body['chan_id']}").json()
    assert by_id == body
    assert (body["node1_pubkey"], body["node2_pubkey"], body["capacity_sat"]) == (ALICE, BOB, 1_000_000)
    assert [d["fee_rate_ppm"] for d in body["directions"]] == [100, 200]
    assert all(0.0 <= s["value"] <= 1.0 for s in body["scores"].values())


def test_channel_errors_distinguish_bad_input_from_absence(client: TestClient) -> None:
    """A chan_id beyond uint64 is a 400; a valid id not in the graph (the pruned zombie) is a 404."""
    assert client.get("/api/v1/lightning/scores/channel/99999999999999999999").status_code == 400
    zombie = client.get("/api/v1/lightning/scores/channel/800001x2x0")
    assert zombie.status_code == 404 and "800001x2x0" in zombie.json()["detail"]


def test_rankings_cover_every_node_and_sort_by_any_score(client: TestClient) -> None:
    """Rankings list all five nodes; sorted by capacity ascending the values never decrease."""
    body = client.get("/api/v1/lightning/scores/rankings", params={"sort_by": "capacity", "order": "asc"}).json()
    assert body["total"] == 5
    assert {item["pubkey"] for item in body["items"]} == {ALICE, BOB, CAROL, DAVE, ERIN}
    values = [item["capacity"] for item in body["items"]]
    assert values == sorted(values)


def test_rankings_filter_and_paginate_without_overlap(client: TestClient) -> None:
    """min_channels=3 keeps bob and carol; two pages of one row hold both, once each."""
    url = "/api/v1/lightning/scores/rankings"
    pages = [client.get(url, params={"min_channels": 3, "limit": 1, "offset": offset}).json() for offset in (0, 1)]
    assert [page["total"] for page in pages] == [2, 2]
    assert sorted(page["items"][0]["pubkey"] for page in pages) == sorted([BOB, CAROL])


def test_every_timestamp_leaves_as_iso_8601_text(client: TestClient) -> None:
    """Datetimes serialise as ISO-8601 UTC text everywhere (the old 'datetime is not JSON serializable' crash)."""
    channel = client.get("/api/v1/lightning/scores/channel/800000x1x0").json()
    node = client.get(NODE + ALICE).json()
    health = client.get("/health").json()
    stamps = [node["snapshot_at"], channel["snapshot_at"], health["checked_at"], health["snapshot"]["loaded_at"],
              *(d["last_update_at"] for d in channel["directions"])]
    assert all(isinstance(s, str) and datetime.fromisoformat(s).utcoffset().total_seconds() == 0 for s in stamps)
    assert node["snapshot_at"] == "2023-11-14T22:13:20Z"
