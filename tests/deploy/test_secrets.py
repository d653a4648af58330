"""Secrets as the containers get them: <NAME>_FILE variables, and a registry that will not run
in production without a token pepper (real processes: nameko run, the entrypoint)."""
import os
import subprocess
import sys

import pytest

from ops.processes import Child, wait_until
from ops.stack import ROOT, bin_path
from shared import config
from shared.config import SERVICES

REGISTRY = [bin_path("nameko"), "run", "--config", os.path.join(ROOT, "deploy/nameko.yml"), SERVICES["plan_registry"]]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORTAK_", "AMQP_URI", "MONGODB_URI"))}
    return {**env, "PYTHONPATH": ROOT, **extra}


def test_a_file_variable_gives_the_value_and_both_at_once_are_refused(tmp_path, monkeypatch):
    secret = tmp_path / "amqp_uri"
    secret.write_text("amqp://ortak:s3cret@rabbitmq:5672/\n")
    monkeypatch.delenv("AMQP_URI", raising=False)
    monkeypatch.setenv("AMQP_URI_FILE", str(secret))
    assert config.amqp_uri() == "amqp://ortak:s3cret@rabbitmq:5672/"
    monkeypatch.setenv("AMQP_URI", "amqp://other/")
    with pytest.raises(config.ConfigurationError, match="AMQP_URI and AMQP_URI_FILE"):
        config.amqp_uri()
    monkeypatch.delenv("AMQP_URI")
    monkeypatch.setenv("AMQP_URI_FILE", str(tmp_path / "missing"))
    with pytest.raises(config.ConfigurationError, match="missing"):
        config.amqp_uri()


def test_the_entrypoint_hands_file_secrets_to_the_command_as_plain_variables(tmp_path):
    (tmp_path / "amqp").write_text("amqp://ortak:pw@rabbitmq:5672/\n")
    (tmp_path / "admin").write_text("ortak_admin_x\n")
    show = "import os; print(os.environ['AMQP_URI'], os.environ['ORTAK_ADMIN_TOKEN'], 'AMQP_URI_FILE' in os.environ)"
    result = subprocess.run([sys.executable, "-m", "ops.entrypoint", sys.executable, "-c", show], cwd=ROOT,
                            env=clean_env(AMQP_URI_FILE=str(tmp_path / "amqp"),
                                          ORTAK_ADMIN_TOKEN_FILE=str(tmp_path / "admin")),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["amqp://ortak:pw@rabbitmq:5672/", "ortak_admin_x", "False"]


def test_the_registry_refuses_to_start_in_production_without_a_pepper(tmp_path, amqp_uri, store_uri):
    result = subprocess.run(REGISTRY, cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=clean_env(ORTAK_ENV="production", AMQP_URI=amqp_uri, MONGODB_URI=store_uri,
                                          ORTAK_DB_PREFIX="ortak_nopepper"))
    assert result.returncode != 0
    assert "ORTAK_ENV=production and no token pepper" in result.stdout + result.stderr


def test_the_registry_runs_in_production_with_its_pepper_from_a_file(tmp_path, amqp_uri, store_uri):
    pepper = tmp_path / "token_pepper"
    pepper.write_text("a-pepper-of-this-installation-0123456789\n")
    env = clean_env(ORTAK_ENV="production", AMQP_URI=amqp_uri, MONGODB_URI=store_uri,
                    ORTAK_TOKEN_PEPPER_FILE=str(pepper), ORTAK_DB_PREFIX="ortak_pepperfile")
    registry = Child("plan_registry", REGISTRY, env=env, log_path=str(tmp_path / "registry.log"), cwd=ROOT).start()
    try:
        health = [sys.executable, "-m", "ops.healthcheck", "plan_registry"]
        wait_until(lambda: subprocess.run(health, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0,
                   60, interval=0.5, what="plan_registry answering its health check")
        assert registry.alive()
    finally:
        registry.stop()
