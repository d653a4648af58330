"""The HTTP gateway: authenticates, checks the HTTP shape, calls RPC, answers problem+json.

It holds no domain state. ``create_app()`` is the gunicorn entry (deploy/gunicorn.conf.py).
"""
import logging
import re
import time
import uuid

from flask import Flask, g, has_app_context, request
from flask_smorest import Api
from prometheus_client import Counter, Histogram
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import config, memory

from .. import web
from . import open311, openapi
from .auth import authenticate
from .cache import Caches
from .http import Json
from .problems import from_exception
from .routes import consultations, monitoring, municipalities, operations, people, plans, programme, requests
from .rpc import RpcPool

REQUESTS = Counter("ortak_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ortak_http_request_seconds", "HTTP request latency", ["method", "route"])
# Open311 authenticates by its own api_key parameter, never by a header or cookie (open311.py)
UNAUTHENTICATED_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/api/v1/openapi.json", open311.PREFIX + "/")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id():
    """The caller's X-Request-Id when it is a plain token (a proxy's, or a district tool's), else a new one."""
    offered = request.headers.get("X-Request-Id", "")
    return offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def current_request_id():
    """The id of the request this thread serves, for the RPC calls it makes (None outside one)."""
    return g.get("request_id") if has_app_context() else None


class OrtakApi(Api):
    DEFAULT_ERROR_RESPONSE_NAME = None   # ours is problem+json (openapi.document_responses)


def create_app(rpc_pool=None):
    app = Flask("ortak-gateway")
    app.config.update(
        API_TITLE="Ortak",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=int(config.env("ORTAK_MAX_BODY_BYTES", str(16 * 1024 * 1024))),
        JSON_SORT_KEYS=False,
    )
    app.json = Json(app)
    app.extensions["ortak_rpc"] = rpc_pool or RpcPool(request_id=current_request_id)
    app.extensions["ortak_cache"] = Caches()

    api = OrtakApi(app, spec_kwargs={"info": {"description": "Joint strategic plans of a metropolitan "
                                                        "municipality and its districts."},
                                "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
                                "security": [{"bearer": []}, {}]})
    proxies = int(config.env("ORTAK_TRUSTED_PROXIES", "0"))
    if proxies:  # behind that many reverse proxies, the client is the one they name in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)
    openapi.register(api)
    api.register_blueprint(municipalities.blp)
    api.register_blueprint(people.blp)
    api.register_blueprint(plans.blp)
    api.register_blueprint(consultations.blp)
    api.register_blueprint(monitoring.blp)
    api.register_blueprint(requests.blp)
    api.register_blueprint(programme.blp)
    app.register_blueprint(operations.blp)
    app.register_blueprint(open311.blp)   # the specification's formats: outside the OpenAPI document
    openapi.document_responses(api)

    @app.before_request
    def start():
        memory.begin()
        g.working = True
        g.started = time.perf_counter()
        g.request_id = request_id()
        if not request.path.startswith(UNAUTHENTICATED_PATHS):
            authenticate(app.extensions["ortak_rpc"], app.extensions["ortak_cache"])

    @app.after_request
    def measure(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, route, response.status_code).inc()
        if "started" in g:
            LATENCY.labels(request.method, route).observe(time.perf_counter() - g.started)
        response.headers["X-Request-Id"] = g.get("request_id") or request_id()
        return response

    @app.teardown_request
    def give_back(exc):
        if g.get("working"):   # a big answer's objects are freed by now: their memory goes back once it adds up
            memory.end()

    @app.errorhandler(Exception)
    def handle(exc):
        if request.path.startswith(open311.PREFIX + "/"):
            return open311.errors(exc)
        return web.error_page(exc) if web.wants_page() else from_exception(exc)

    @app.errorhandler(HTTPException)
    def handle_http(exc):
        if request.path.startswith(open311.PREFIX + "/"):
            return open311.errors(exc)
        return web.error_page(exc) if web.wants_page() else from_exception(exc)

    web.init_app(app)  # the pages: on the Flask app, not in the API's OpenAPI document
    return app


logging.basicConfig(level=config.env("LOG_LEVEL", "INFO"))
