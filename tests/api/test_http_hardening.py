"""Security headers, CORS allow-list, body size limit, request ids — on every kind of response."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mcp_lightning.api.middleware import API_CSP
from tests.api.conftest import ALICE, TestClient

NODE = f"/api/v1/lightning/scores/node/{ALICE}"


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    """A success, a 404 and a 422 all carry nosniff, DENY, no-referrer, the CSP and Cache-Control: no-store."""
    for response in (client.get(NODE), client.get("/nowhere"), client.get("/api/v1/runs?limit=0")):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Content-Security-Policy"] == API_CSP
        assert headers["Cache-Control"] == "no-store"


def test_cors_answers_only_allow_listed_origins(make_client: Callable[..., TestClient]) -> None:
    """An allow-listed origin gets Access-Control-Allow-Origin (preflight too); another origin gets none."""
    client = make_client(cors_origins=["https://dashboard.example"])
    allowed = client.get(NODE, headers={"Origin": "https://dashboard.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://dashboard.example"
    assert "access-control-allow-origin" not in client.get(NODE, headers={"Origin": "https://evil.example"}).headers
    preflight = client.options(NODE, headers={"Origin": "https://dashboard.example",
                                              "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "X-API-Key"})
    assert preflight.status_code == 200 and "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_body_above_the_limit_is_refused_with_413(make_client: Callable[..., TestClient]) -> None:
    """A declared Content-Length above the limit and a chunked body that grows past it both get 413."""
    client = make_client(max_body_bytes=1024)
    declared = client.post("/api/v1/lightning/scores/batch", content=b"x" * 2048,
                           headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"y" * 512

    streamed = client.post("/api/v1/lightning/scores/batch", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.headers["X-Content-Type-Options"] == "nosniff"


def test_request_ids_are_echoed_when_safe_and_made_up_otherwise(client: TestClient) -> None:
    """A safe X-Request-ID comes back as sent; an unsafe one is replaced by a fresh 32-hex id."""
    assert client.get(NODE, headers={"X-Request-ID": "trace-42.a_b"}).headers["X-Request-ID"] == "trace-42.a_b"
    replaced = client.get(NODE, headers={"X-Request-ID": "bad id\twith spaces"}).headers["X-Request-ID"]
    assert len(replaced) == 32 and all(c in "0123456789abcdef" for c in replaced)


def test_the_openapi_document_describes_every_route_with_models_and_errors(client: TestClient) -> None:
    """Every API operation has a 2xx schema, documents 401/422/429/503 with the error body, and has a summary."""
    spec = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
                  if path.startswith("/api/")]
    assert len(operations) == 11
    for path, method, op in operations:
        success = next(code for code in op["responses"] if code.startswith("2"))
        assert "schema" in op["responses"][success]["content"]["application/json"], (path, method)
        for status in ("401", "422", "429", "503"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
        assert op["summary"]
    assert spec["components"]["schemas"]["NodeScoreOut"]["examples"]
