"""docker-compose.yml against the compose-spec schema, and against the code it runs.

No Docker engine runs here, so the file is checked, not started.
"""
import os
import subprocess
import sys

import yaml

from ops.stack import ROOT
from shared.config import SERVICES

COMPOSE = os.path.join(ROOT, "docker-compose.yml")


def compose():
    with open(COMPOSE) as f:
        return yaml.safe_load(f)


def test_compose_file_matches_the_compose_spec():
    checker = os.path.join(os.path.dirname(sys.executable), "check-jsonschema")
    result = subprocess.run([checker, "--builtin-schema", "vendor.compose-spec", COMPOSE],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_in_the_code_runs_in_compose_and_nothing_else_does():
    services = compose()["services"]
    started = {}
    for name, spec in services.items():
        command = spec.get("command") or []
        if command[:2] == ["nameko", "run"]:
            started[command[-1]] = name
    assert set(started) == set(SERVICES.values())
    for target in started:
        module, cls = target.split(":")
        assert hasattr(__import__(module, fromlist=[cls]), cls)
    assert services["gateway"]["command"][0] == "gunicorn"


def test_everything_waits_for_what_it_needs_to_be_healthy():
    services = compose()["services"]
    for name, spec in services.items():
        if name in ("rabbitmq", "mongo"):
            assert "healthcheck" in spec
            continue
        conditions = {dep: c["condition"] for dep, c in spec["depends_on"].items()}
        assert conditions.get("rabbitmq") == "service_healthy", name
        if name != "topology":
            assert "healthcheck" in spec and conditions.get("topology") == "service_completed_successfully"
    assert set(compose()["volumes"]) == {"rabbitmq-data", "mongo-data"}
    assert "--replSet" in services["mongo"]["command"]
