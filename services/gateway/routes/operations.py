"""Health, readiness, metrics and the API documentation page (served with no internet)."""
import hmac
import os
from concurrent.futures import ThreadPoolExecutor

import swagger_ui_bundle
from flask import Blueprint, Response, current_app, request, send_from_directory
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from shared import config

from ..problems import problem
from ..rpc import ServiceUnavailable

blp = Blueprint("operations", __name__)
READY_TIMEOUT = 3.0

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ortak API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""


def services():
    return tuple(config.env("ORTAK_SERVICES", ",".join(config.SERVICES)).split(","))


@blp.route("/healthz")
def healthz():
    return {"status": "ok"}


def _check(service):
    try:
        answer = current_app.extensions["ortak_rpc"].call(service, "health", timeout=READY_TIMEOUT)
        return service, answer, None
    except ServiceUnavailable as exc:
        return service, None, exc
    except Exception as exc:  # the service answered with an error: its store is down
        return service, None, exc


@blp.route("/readyz")
def readyz():
    app = current_app._get_current_object()

    def check(service):
        with app.app_context():
            return _check(service)

    with ThreadPoolExecutor(max_workers=len(services())) as pool:
        results = list(pool.map(check, services()))
    checks, down = {}, []
    for service, answer, error in results:
        if error is None:
            checks[service] = "ok"
            checks[f"{service}.store"] = answer.get("store", "ok")
        elif isinstance(error, ServiceUnavailable):
            checks[service] = "down"
            down.append(error.what)
        else:
            checks[service] = "ok"
            checks[f"{service}.store"] = "down"
            down.append(f"{service}.store")
    if any(isinstance(e, ServiceUnavailable) and e.what == "broker" for _, _, e in results):
        checks["broker"] = "down"
    else:
        checks["broker"] = "ok"
    if down:
        names = ", ".join(sorted(set(down)))
        return problem(503, f"Not ready: {names} down.", extra={"checks": checks, "unavailable": sorted(set(down))})
    return {"status": "ready", "checks": checks}


def _may_scrape():
    """Metrics are open on a developer's machine; in production only to the scraper's own token
    (ORTAK_METRICS_TOKEN), and hidden entirely when none is set."""
    if not config.production():
        return True
    expected = config.secret("ORTAK_METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode())


@blp.route("/metrics")
def metrics():
    if not _may_scrape():
        return problem(404, "No such resource.")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@blp.route("/docs")
def docs():
    return Response(DOCS_PAGE, content_type="text/html; charset=utf-8")


@blp.route("/docs/assets/<path:name>")
def docs_assets(name):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name)
