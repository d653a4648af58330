"""Health, readiness, metrics, the OpenAPI document and the offline docs page."""
import pytest
import requests

pytestmark = pytest.mark.stack


def test_ready_names_every_check(stack):
    response = requests.get(stack.url + "/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json()["checks"] == {"broker": "ok", "plan_registry": "ok", "plan_registry.store": "ok",
                                         "consultation": "ok", "consultation.store": "ok",
                                         "monitoring": "ok", "monitoring.store": "ok"}
    assert requests.get(stack.url + "/healthz", timeout=5).json() == {"status": "ok"}


def test_readiness_names_a_stopped_service(stack):
    stack.services["plan_registry"].stop()
    try:
        response = requests.get(stack.url + "/readyz", timeout=15)
        assert response.status_code == 503
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
    page = requests.get(stack.url + "/docs", timeout=5)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text and "https://" not in page.text
    assert requests.get(stack.url + "/docs/assets/swagger-ui-bundle.js", timeout=5).status_code == 200
