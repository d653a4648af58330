"""deploy/prometheus/alerts.yml and deploy/grafana/ortak-dashboard.json against the metrics the code
defines, and the metrics ports in the manifests. No Prometheus runs here: the rules file's shape is
checked, and ``promtool check rules`` runs where promtool is installed."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from ops.stack import ROOT
from services.gateway.app import LATENCY, REQUESTS
from shared import observability
from shared.config import SERVICES
from tests.deploy.kustomize import pod_spec, render
from tests.deploy.test_compose import compose, environment
from tests.deploy.test_kubernetes import BASE, PRODUCTION, env_of, one

ALERTS = os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "ortak-dashboard.json")
PROMETHEUS_OWN = {"up"}   # what Prometheus records of every scrape itself
KNOWN = observability.metric_names() | observability.series_names((REQUESTS, LATENCY)) | PROMETHEUS_OWN
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "inf", "nan"}
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
# `make promtool` unpacks it beside the virtualenv's python
PROMTOOL = shutil.which("promtool") or shutil.which("promtool", path=os.path.dirname(sys.executable))


def series_in(expr):
    """The series a PromQL expression reads: its identifiers, less functions, keywords, label
    matchers, label lists and ranges."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    found = re.findall(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()", expr)
    return {name for name in found if name.lower() not in KEYWORDS}


def balanced(expr):
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def alerts():
    with open(ALERTS) as f:
        return yaml.safe_load(f)


def rules():
    return [rule for group in alerts()["groups"] for rule in group["rules"]]


def dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def test_the_expression_reader_finds_series_and_nothing_else():
    expr = ('sum by (service, le) (rate(ortak_rpc_seconds_bucket{service=~"a|b", x="y(z)"}[5m])) '
            '/ ignoring (outcome) ortak_rpc_calls_total > 0.05 and on (job) up == 1e-9')
    assert series_in(expr) == {"ortak_rpc_seconds_bucket", "ortak_rpc_calls_total", "up"}
    assert not balanced("sum(rate(x[5m])") and balanced(expr)
    assert "ortak_rpc_second_bucket" not in KNOWN   # a misspelt name would be caught


# -- the alert rules ----------------------------------------------------------------------------
def test_the_rules_file_has_the_shape_prometheus_reads():
    document = alerts()
    assert set(document) == {"groups"}
    names = [group["name"] for group in document["groups"]]
    assert len(names) == len(set(names))
    seen = set()
    for group in document["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"} and group["rules"], group["name"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, rule
            assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]) and rule["alert"] not in seen
            seen.add(rule["alert"])
            assert isinstance(rule["expr"], str) and balanced(rule["expr"]), rule["alert"]
            assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_every_series_an_alert_reads_is_one_the_code_defines():
    for rule in rules():
        unknown = series_in(rule["expr"]) - KNOWN
        assert not unknown, (rule["alert"], unknown)


def test_the_alerts_cover_dead_letters_backlog_failures_latency_and_a_service_down():
    read = {name for rule in rules() for name in series_in(rule["expr"])}
    assert {"ortak_dead_letters", "ortak_outbox_backlog", "ortak_events_failed_total", "ortak_rpc_calls_total",
            "ortak_rpc_seconds_bucket", "ortak_event_handler_seconds_bucket", "up"} <= read
    quantiles = [r for r in rules() if "histogram_quantile(0.99" in r["expr"].replace(" ", "")]
    assert len(quantiles) >= 2


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed here (make promtool)")
def test_promtool_accepts_the_rules_and_each_alert_fires_when_it_should():
    result = subprocess.run([PROMTOOL, "check", "rules", ALERTS], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # deploy/prometheus/alerts.test.yml: synthetic series that fire each alert, and healthy ones that do not
    result = subprocess.run([PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=os.path.dirname(ALERTS),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the dashboard ------------------------------------------------------------------------------
def test_the_dashboard_has_the_shape_grafana_imports():
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["datasource"]["uid"] == "${datasource}"
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert balanced(target["expr"]), panel["title"]
            for variable in re.findall(r"\$(\w+)", target["expr"]):
                assert variable in variables, (panel["title"], variable)


def test_the_dashboard_reads_only_metrics_the_code_defines_and_shows_each_of_them():
    read = {name for panel in dashboard()["panels"] for t in panel["targets"] for name in series_in(t["expr"])}
    assert not read - KNOWN, read - KNOWN
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in read}
    defined = {m.describe()[0].name for m in (*observability.METRICS, REQUESTS, LATENCY)}
    for name in defined:
        assert name in shown or f"{name}_total" in shown, name
    assert observability.DEAD_LETTERS in shown


# -- where the metrics are served -----------------------------------------------------------------
@pytest.mark.parametrize("directory", [BASE, PRODUCTION])
def test_every_service_pod_serves_its_metrics_on_a_named_port_prometheus_is_told_of(directory):
    rendered = render(directory)
    for name in [*SERVICES, "gateway"]:
        deployment = one(rendered, "Deployment", name.replace("_", "-"))
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        container = pod_spec(deployment)["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        port = ports["http"] if name == "gateway" else ports["metrics"]
        if name != "gateway":
            assert int(env_of(rendered, container)["ORTAK_METRICS_PORT"]) == port
        assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                               "prometheus.io/path": "/metrics"}, name


def test_compose_gives_every_service_its_metrics_port():
    services = compose()["services"]
    for target in SERVICES.values():
        [spec] = [s for s in services.values() if (s.get("command") or [])[-1:] == [target]]
        assert int(environment(spec)["ORTAK_METRICS_PORT"]) > 0
