"""docker-compose.yml against the compose-spec schema, and against the code it runs.

No Docker engine runs here, so the file is checked, not started.
"""
import os
import subprocess
import sys

import yaml

from ops.processes import GRACE_SECONDS
from ops.stack import ROOT
from shared.config import SERVICE_ENV, SERVICES

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


ONE_SHOT = ("topology", "migrate")


def test_everything_waits_for_what_it_needs_to_be_healthy():
    services = compose()["services"]
    for name, spec in services.items():
        if name in ("rabbitmq", "mongo"):
            assert "healthcheck" in spec
            continue
        conditions = {dep: c["condition"] for dep, c in spec["depends_on"].items()}
        if name == "migrate":
            assert conditions == {"mongo": "service_healthy"}
            continue
        assert conditions.get("rabbitmq") == "service_healthy", name
        if name != "topology":
            assert "healthcheck" in spec and conditions.get("topology") == "service_completed_successfully"
    assert set(compose()["volumes"]) == {"rabbitmq-data", "mongo-data"}
    assert "--replSet" in services["mongo"]["command"]


def test_stored_data_is_migrated_once_before_any_service_starts():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "-m", "ops.migrate"]
    assert services["migrate"]["image"] == services["plan-registry"]["image"]  # this release's steps
    for name, spec in services.items():
        command = spec.get("command") or []
        if command[:2] == ["nameko", "run"]:
            assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    # the gateway waits for the services, which wait for the migration
    assert {"plan-registry", "monitoring"} <= set(services["gateway"]["depends_on"])


def test_long_running_services_are_restarted_and_one_shot_jobs_are_not():
    for name, spec in compose()["services"].items():
        if name in ONE_SHOT:
            assert spec["restart"] == "no"
        else:
            assert spec["restart"] in ("unless-stopped", "on-failure", "always"), name


def environment(spec):
    env = spec.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def secret_names(spec):
    return {s if isinstance(s, str) else s["source"] for s in spec.get("secrets", [])}


def test_credentials_and_the_pepper_come_from_secret_files_not_defaults():
    spec = compose()
    with open(COMPOSE) as f:
        text = f.read()
    # no secret value and no default of one in the file itself
    for word in ("RABBITMQ_PASSWORD", "RABBITMQ_DEFAULT_PASS:", "${ORTAK_TOKEN_PEPPER", "${ORTAK_ADMIN_TOKEN",
                 "guest"):
        assert word not in text, word
    declared = spec["secrets"]
    for name, secret in declared.items():
        assert secret["file"].startswith("./deploy/secrets/"), name
    for name, spec_ in spec["services"].items():
        env = environment(spec_)
        mounted = secret_names(spec_)
        assert mounted <= set(declared), name
        for variable, value in env.items():
            if variable.endswith("_FILE"):
                assert value.startswith("/run/secrets/") and value.rsplit("/", 1)[1] in mounted, (name, variable)
        if name in ("rabbitmq", "mongo"):
            continue
        # every Ortak process: production, its broker and store URIs and the pepper from secrets
        assert env["ORTAK_ENV"] == "production"
        for variable in ("AMQP_URI", "MONGODB_URI", "ORTAK_TOKEN_PEPPER"):
            assert f"{variable}_FILE" in env and variable not in env, (name, variable)
    assert environment(spec["services"]["plan-registry"])["ORTAK_ADMIN_TOKEN_FILE"] == "/run/secrets/admin_token"
    rabbitmq = spec["services"]["rabbitmq"]["secrets"][0]
    assert rabbitmq["source"] == "rabbitmq_conf" and rabbitmq["target"].startswith("/etc/rabbitmq/conf.d/")
    mongo = environment(spec["services"]["mongo"])
    assert set(mongo) == {"MONGO_INITDB_ROOT_USERNAME_FILE", "MONGO_INITDB_ROOT_PASSWORD_FILE"}
    assert "--keyFile" in spec["services"]["mongo"]["command"]


def test_the_secrets_compose_mounts_are_made_once_and_agree(tmp_path):
    from ops import compose_secrets

    directory = tmp_path / "secrets"
    made = compose_secrets.make(str(directory))
    declared = {os.path.basename(s["file"]) for s in compose()["secrets"].values()}
    assert declared <= set(made) == set(os.listdir(directory))
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    read = {name: (directory / name).read_text() for name in made}
    password = read["rabbitmq_password"]
    assert f"default_pass = {password}" in read["rabbitmq.conf"]
    assert read["amqp_uri"] == f"amqp://ortak:{password}@rabbitmq:5672/"
    assert read["mongo_root_password"] in read["mongodb_uri"] and "replicaSet=rs0" in read["mongodb_uri"]
    assert len(read["token_pepper"]) >= 32
    assert compose_secrets.make(str(directory)) == []  # never made again: a new pepper would void every token
    assert {name: (directory / name).read_text() for name in made} == read


def test_the_image_leaves_the_secrets_out_and_reads_them_through_its_entrypoint():
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        dockerfile = f.read()
    assert "COPY deploy ./deploy" not in dockerfile  # deploy/secrets stays out of the image
    assert 'ENTRYPOINT ["python", "-m", "ops.entrypoint"]' in dockerfile


def test_each_service_runs_with_its_own_environment_and_the_common_one():
    spec = compose()
    for name, extra in SERVICE_ENV.items():
        environment = spec["services"][name.replace("_", "-")]["environment"]
        assert environment.items() >= {**spec["x-ortak-env"], **extra}.items()


def test_ortak_processes_get_the_grace_the_local_stack_gives_them():
    """Work in flight when a service is stopped finishes within the grace: the tests stop the local
    processes with the same (ops.processes.GRACE_SECONDS)."""
    services = compose()["services"]
    ours = [name for name, spec in services.items() if spec.get("image", "").startswith("ortak:")
            and name not in ONE_SHOT]
    assert ours and all(services[name].get("stop_grace_period") == f"{GRACE_SECONDS}s" for name in ours), ours
