"""Health, readiness, metrics, the OpenAPI document and the offline docs page."""
import time

import pytest
import requests

from shared import config

pytestmark = pytest.mark.stack


def test_ready_names_every_check(stack):
    response = requests.get(stack.url + "/readyz", timeout=10)
    assert response.status_code == 200
    expected = {"broker": "ok"}
    for service in config.SERVICES:       # every service and its own store
        expected.update({service: "ok", f"{service}.store": "ok"})
    assert set(config.SERVICES) >= {"plan_registry", "consultation", "monitoring", "requests", "programme"}
    assert response.json()["checks"] == expected
    assert requests.get(stack.url + "/healthz", timeout=5).json() == {"status": "ok"}


def test_readiness_names_a_stopped_service(stack):
    stack.services["plan_registry"].stop()
    try:
        started = time.monotonic()
        response = requests.get(stack.url + "/readyz", timeout=15)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        # the readiness check's own timeout (3 s), not the gateway's RPC timeout (10 s)
        assert elapsed < 6, f"/readyz took {elapsed:.1f} s"
        assert response.json()["unavailable"] == ["plan_registry"]
        assert requests.get(stack.url + "/api/v1/municipalities", timeout=15).status_code == 503
    finally:
        stack.restart_service("plan_registry")


def test_metrics_count_requests(stack):
    requests.get(stack.url + "/api/v1/municipalities", timeout=5)
    text = requests.get(stack.url + "/metrics", timeout=5).text
    assert 'ortak_http_requests_total{method="GET",route="/api/v1/municipalities",status="200"}' in text


def test_openapi_and_docs_work_offline(stack):
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/plans", "/api/v1/plans/{plan_id}/contributions/{municipality}",
                 "/api/v1/municipalities/{mid}", "/api/v1/tokens"):
        assert path in spec["paths"]
    assert "Contribution" in spec["components"]["schemas"]
    # every path parameter says the form the server reads, so a client learns it before a 404
    loose = [(path, p["name"]) for path, operations in spec["paths"].items()
             for p in operations.get("parameters", []) if p["in"] == "path"
             and not {"pattern", "maximum"} & set(p.get("schema", {}))]
    assert loose == []
    page = requests.get(stack.url + "/docs", timeout=5)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text and "https://" not in page.text
    assert requests.get(stack.url + "/docs/assets/swagger-ui-bundle.js", timeout=5).status_code == 200
