"""deploy/kubernetes against the Kubernetes API schemas and against the code it runs.

No cluster runs here, so the manifests are rendered (tests/deploy/kustomize.py; also with
``kubectl kustomize`` where kubectl is installed, which must agree) and checked, not applied.
"""
import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from ops import topology
from ops.processes import GRACE_SECONDS
from ops.stack import ROOT
from shared import deadletters
from shared.config import FILE_VARIABLES, SERVICE_ENV, SERVICES
from tests.deploy.kustomize import containers, key, pod_spec, render

KUBERNETES = os.path.join(ROOT, "deploy", "kubernetes")
BASE = os.path.join(KUBERNETES, "base")
PRODUCTION = os.path.join(KUBERNETES, "overlays", "production")
# the oldest Kubernetes we say we run on, and the newest the schemas know
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
ORTAK_IMAGE = "ortak"
SECRET_VARIABLES = {*FILE_VARIABLES, "ORTAK_METRICS_TOKEN", "MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_USERNAME",
                    "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS", "RABBITMQ_ERLANG_COOKIE"}


@pytest.fixture(scope="module", params=["base", "production"])
def rendered(request):
    return render(BASE if request.param == "base" else PRODUCTION)


@pytest.fixture(scope="module")
def production():
    return render(PRODUCTION)


def by_kind(resources, kind):
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def one(resources, kind, name):
    return by_kind(resources, kind)[name]


def is_ortak(container):
    return container["image"].partition(":")[0].rsplit("/", 1)[-1] == ORTAK_IMAGE


def manifest_files():
    for directory, _, files in os.walk(KUBERNETES):
        for name in files:
            yield os.path.join(directory, name)


# --- rendering and the schemas -------------------------------------------------------------

@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
@pytest.mark.parametrize("directory", [BASE, PRODUCTION])
def test_kubectl_kustomize_renders_what_the_checks_read(directory):
    result = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    theirs = {key(r): r for r in yaml.safe_load_all(result.stdout) if r}
    ours = {key(r): r for r in render(directory)}
    assert set(ours) == set(theirs)
    for name, resource in ours.items():
        assert resource == theirs[name], name


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_matches_the_kubernetes_schemas(rendered, version):
    assert len(rendered) > 20
    for resource in rendered:
        kubernetes_validate.validate(resource, version, strict=True)


def test_the_schema_check_rejects_what_kubernetes_would():
    deployment = copy.deepcopy(one(render(BASE), "Deployment", "gateway"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/readyz"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)
    deployment = copy.deepcopy(one(render(BASE), "Deployment", "gateway"))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


# --- the Ortak processes -------------------------------------------------------------------

def module_exists(name):
    return importlib.util.find_spec(name) is not None


def test_every_service_in_the_code_runs_as_a_deployment_and_nothing_else_does(rendered):
    started = {}
    for name, deployment in by_kind(rendered, "Deployment").items():
        for container in containers(deployment):
            args = container.get("args", [])
            if args[:2] == ["nameko", "run"]:
                assert args[2:4] == ["--config", "deploy/nameko.yml"]
                started[args[-1]] = name
    assert set(started) == set(SERVICES.values())
    for target in started:
        module, cls = target.split(":")
        assert hasattr(importlib.import_module(module), cls)
    gateway = one(rendered, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0]
    assert gateway["args"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert os.path.exists(os.path.join(ROOT, "deploy", "gunicorn.conf.py"))


def test_each_service_runs_with_its_own_environment(rendered):
    for name, extra in SERVICE_ENV.items():
        container = one(rendered, "Deployment", name.replace("_", "-"))["spec"]["template"]["spec"]["containers"][0]
        values = {variable["name"]: variable.get("value") for variable in container.get("env", [])}
        assert {key: values.get(key) for key in extra} == extra, name


def test_every_python_module_a_container_runs_exists(rendered):
    for resource in rendered:
        for container in containers(resource):
            if not is_ortak(container):
                continue
            assert "command" not in container, "the image's entrypoint (ops.entrypoint) must stay"
            commands = [container.get("args", [])]
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                commands.append(container.get(probe, {}).get("exec", {}).get("command", []))
            for command in commands:
                if command[:2] == ["python", "-m"]:
                    assert module_exists(command[2]), (key(resource), command)
    assert module_exists("ops.entrypoint")


def test_every_deployment_has_probes_resources_a_disruption_budget_and_an_autoscaler(rendered):
    deployments = by_kind(rendered, "Deployment")
    assert set(deployments) == {"plan-registry", "consultation", "monitoring", "requests", "programme", "gateway"}
    budgets = by_kind(rendered, "PodDisruptionBudget")
    autoscalers = by_kind(rendered, "HorizontalPodAutoscaler")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        spec = pod_spec(deployment)
        for container in spec["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, (name, container["name"])
        covering = [b for b in budgets.values() if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1, name
        assert covering[0]["spec"].get("minAvailable", 0) >= 1 or covering[0]["spec"].get("maxUnavailable") == 1
        scaling = [a for a in autoscalers.values() if a["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": name}]
        assert len(scaling) == 1, name
        hpa = scaling[0]["spec"]
        assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert spec["terminationGracePeriodSeconds"] == GRACE_SECONDS   # as the local stack stops them


def test_every_container_asks_for_resources_and_is_limited(rendered):
    for resource in rendered:
        for container in containers(resource):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, (key(resource), container["name"], bound)


def test_services_are_probed_by_their_health_rpc_and_the_gateway_over_http(rendered):
    for name, service in SERVICES.items():
        deployment = one(rendered, "Deployment", name.replace("_", "-"))
        container = pod_spec(deployment)["containers"][0]
        assert container["args"][-1] == service
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"] == ["python", "-m", "ops.healthcheck", name]
        # a liveness failure restarts the process: it waits longer than readiness does
        live, ready = container["livenessProbe"], container["readinessProbe"]
        assert live["periodSeconds"] * live["failureThreshold"] > ready["periodSeconds"] * ready["failureThreshold"]
    gateway = pod_spec(one(rendered, "Deployment", "gateway"))["containers"][0]
    port = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    assert port["http"] == int(env_of(rendered, gateway)["PORT"])
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    service = one(rendered, "Service", "gateway")
    assert service["spec"]["selector"].items() <= one(rendered, "Deployment", "gateway")["spec"]["template"][
        "metadata"]["labels"].items()


def test_the_topology_is_declared_by_a_job_and_before_each_service_starts(rendered):
    job = one(rendered, "Job", "ortak-topology")
    spec = pod_spec(job)
    assert spec["restartPolicy"] == "OnFailure"
    assert spec["containers"][0]["args"] == ["python", "-m", "ops.topology"]
    for name in SERVICES:
        init = pod_spec(one(rendered, "Deployment", name.replace("_", "-")))["initContainers"]
        assert [c["args"] for c in init if is_ortak(c)][0] == ["python", "-m", "ops.topology"]


def test_stored_data_is_migrated_by_a_job_and_before_each_service_starts(rendered):
    job = one(rendered, "Job", "ortak-migrate")
    spec = pod_spec(job)
    assert spec["restartPolicy"] == "OnFailure"
    assert spec["containers"][0]["args"] == ["python", "-m", "ops.migrate"]
    for name in SERVICES:
        deployment = one(rendered, "Deployment", name.replace("_", "-"))
        init = [c["args"] for c in pod_spec(deployment)["initContainers"] if is_ortak(c)]
        # init containers run in order, all before the service's own container: its database, no other
        assert init == [["python", "-m", "ops.topology"], ["python", "-m", "ops.migrate", "--service", name]]
        image = {c["image"] for c in [*pod_spec(deployment)["initContainers"], *pod_spec(deployment)["containers"]]}
        assert len(image) == 1 and image == {spec["containers"][0]["image"]}  # the release's own steps


# --- secrets -------------------------------------------------------------------------------

def env_of(resources, container):
    """The container's environment: its envFrom ConfigMaps, then its own env values."""
    env = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source
        env.update(one(resources, "ConfigMap", source["configMapRef"]["name"])["data"])
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value", variable.get("valueFrom"))
    return env


def secret_mounts(resource, container):
    """mount path -> (Secret name, the keys it mounts) of the Secrets this container mounts."""
    volumes = {v["name"]: v for v in pod_spec(resource).get("volumes", [])}
    found = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})  # absent: a volume claim of a StatefulSet
        if "secret" in volume:
            found[mount["mountPath"]] = (volume["secret"]["secretName"],
                                         {i["path"]: i["key"] for i in volume["secret"]["items"]})
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                found[mount["mountPath"]] = (source["secret"]["name"],
                                             {i["path"]: i["key"] for i in source["secret"]["items"]})
    return found


def test_no_secret_is_in_the_manifests():
    secret_uri = re.compile(r"(amqp|mongodb)://[^/\s:@]+:[^/\s@]+@")
    for path in manifest_files():
        with open(path) as f:
            text = f.read()
        assert not secret_uri.search(text), path
        assert "guest" not in text and "kind: Secret" not in text and "stringData" not in text, path
        for document in yaml.safe_load_all(text):
            if document and document.get("kind") == "ConfigMap":
                for name in document["data"]:
                    assert not re.search(r"password|pass$|cookie|token|keyfile|users", name), (path, name)


def test_ortak_reads_its_secrets_from_mounted_secret_files_in_production(rendered):
    referenced = set()
    for resource in rendered:
        for container in containers(resource):
            env = env_of(rendered, container)
            mounts = secret_mounts(resource, container)
            referenced |= {secret for secret, _ in mounts.values()}
            for variable, value in env.items():
                if variable in SECRET_VARIABLES:
                    assert isinstance(value, dict) and "secretKeyRef" in value, (key(resource), variable)
                    referenced.add(value["secretKeyRef"]["name"])
                if variable.endswith("_FILE"):
                    directory, _, filename = value.rpartition("/")
                    assert directory in mounts and filename in mounts[directory][1], (key(resource), variable)
            if not is_ortak(container):
                continue
            assert env["ORTAK_ENV"] == "production", key(resource)
            for variable in ("AMQP_URI", "MONGODB_URI", "ORTAK_TOKEN_PEPPER"):
                assert f"{variable}_FILE" in env and variable not in env, (key(resource), variable)
    assert referenced == {"ortak", "rabbitmq", "mongo"}
    registry = pod_spec(one(rendered, "Deployment", "plan-registry"))["containers"][0]
    assert env_of(rendered, registry)["ORTAK_ADMIN_TOKEN_FILE"] == "/run/secrets/ortak/admin_token"
    for name in ("consultation", "monitoring", "requests", "programme", "gateway"):
        container = pod_spec(one(rendered, "Deployment", name))["containers"][0]
        assert "admin_token" not in secret_mounts(one(rendered, "Deployment", name), container)[
            "/run/secrets/ortak"][1]
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        operations = f.read()
    for secret in referenced:
        assert f"kubectl create secret generic {secret}" in operations, secret


# --- RabbitMQ ------------------------------------------------------------------------------

def conf(text):
    return dict(line.split(" = ", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_rabbitmq_is_a_three_node_cluster_found_through_kubernetes(production):
    namespace = one(production, "Namespace", "ortak")["metadata"]["name"]
    nodes = one(production, "StatefulSet", "rabbitmq")
    assert nodes["spec"]["replicas"] == 3
    headless = one(production, "Service", nodes["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    assert headless["spec"]["selector"].items() <= nodes["spec"]["template"]["metadata"]["labels"].items()
    config = one(production, "ConfigMap", "rabbitmq-config")["data"]
    settings = conf(config["rabbitmq.conf"])
    assert settings["cluster_formation.peer_discovery_backend"] == "rabbit_peer_discovery_k8s"
    assert settings["cluster_formation.k8s.service_name"] == headless["metadata"]["name"]
    assert settings["cluster_formation.k8s.hostname_suffix"] == \
        f".{headless['metadata']['name']}.{namespace}.svc.cluster.local"
    assert "rabbitmq_peer_discovery_k8s" in config["enabled_plugins"]
    container = pod_spec(nodes)["containers"][0]
    env = {v["name"]: v.get("value") for v in container["env"]}
    assert env["RABBITMQ_NODENAME"] == \
        f"rabbit@$(POD_NAME).{headless['metadata']['name']}.$(POD_NAMESPACE).svc.cluster.local"
    # peer discovery reads the endpoints of the headless service with the pods' own account
    account = pod_spec(nodes)["serviceAccountName"]
    binding = [b for b in by_kind(production, "RoleBinding").values()
               if {"kind": "ServiceAccount", "name": account, "namespace": namespace} in b["subjects"]]
    role = one(production, "Role", binding[0]["roleRef"]["name"])
    assert {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get"]} in role["rules"]
    client = one(production, "Service", "rabbitmq")
    assert {p["port"] for p in client["spec"]["ports"]} >= {5672}


def test_rabbitmq_defaults_to_quorum_queues_and_bounds_redeliveries_into_the_dead_letters(production):
    nodes = one(production, "StatefulSet", "rabbitmq")
    config = one(production, "ConfigMap", "rabbitmq-config")["data"]
    settings = conf(config["rabbitmq.conf"])
    mounts = {m["mountPath"]: m["name"] for m in pod_spec(nodes)["containers"][0]["volumeMounts"]}
    volume = {v["name"]: v for v in pod_spec(nodes)["volumes"]}[mounts[settings["definitions.local.path"]]]
    sources = volume["projected"]["sources"]
    assert {"key": "definitions.json", "path": "10-topology.json"} in sources[0]["configMap"]["items"]
    assert sources[1]["secret"]["name"] == "rabbitmq"  # the user comes from the Secret
    definitions = json.loads(config["definitions.json"])
    vhost = definitions["vhosts"][0]
    assert vhost["name"] == "/" and vhost["default_queue_type"] == vhost["metadata"]["default_queue_type"] == "quorum"
    [policy] = definitions["policies"]
    assert policy["apply-to"] == "queues" and policy["vhost"] == "/"
    rules = policy["definition"]
    assert isinstance(rules["delivery-limit"], int) and rules["delivery-limit"] >= 1
    assert "dead-letter-exchange" in rules
    # the default exchange ("") routes by queue name: what exceeds the limit lands in the queue
    # python -m ops.dead_letters reads
    assert rules["dead-letter-exchange"] == "" and rules["dead-letter-routing-key"] == deadletters.QUEUE
    pattern = re.compile(policy["pattern"])
    queues = [name for name, _, _ in topology.consumers()]
    assert queues and all(pattern.search(name) for name in queues)
    assert not pattern.search(deadletters.QUEUE)
    assert not any(pattern.search(f"rpc-{service}") for service in SERVICES)


# --- MongoDB -------------------------------------------------------------------------------

def test_mongodb_is_a_three_member_replica_set_initiated_by_a_job(production):
    members = one(production, "StatefulSet", "mongo")
    assert members["spec"]["replicas"] == 3
    headless = one(production, "Service", members["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    args = pod_spec(members)["containers"][0]["args"]
    assert args[args.index("--replSet") + 1] == "rs0" and "--keyFile" in args
    script = one(production, "ConfigMap", "mongo-scripts")["data"]["replica-set.js"]
    hosts = [f"mongo-{i}.{headless['metadata']['name']}:27017" for i in range(3)]
    assert f"const members = {json.dumps(hosts)};".replace('","', '", "') in script
    assert 'rs.initiate({_id: "rs0"' in script
    job = one(production, "Job", "mongo-replica-set")
    command = " ".join(pod_spec(job)["containers"][0]["command"])
    assert "mongo-0.mongo:27017" in command and "/scripts/replica-set.js" in command
    budget = one(production, "PodDisruptionBudget", "mongo")
    assert budget["spec"]["maxUnavailable"] == 1


# --- the production overlay ----------------------------------------------------------------

def test_production_runs_one_released_image_in_its_own_namespace(production):
    namespace = "ortak"
    tags = set()
    for resource in production:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == namespace, key(resource)
        for container in containers(resource):
            name, _, tag = container["image"].partition(":")
            assert tag and tag != "latest", (key(resource), container["image"])
            if is_ortak(container):
                tags.add(tag)
    assert len(tags) == 1
    assert one(production, "HorizontalPodAutoscaler", "gateway")["spec"]["minReplicas"] >= 3


def test_what_the_policy_dead_letters_names_the_queue_it_goes_back_to():
    from types import SimpleNamespace

    from ops import dead_letters

    body = json.dumps({"event_id": "e1", "type": "readings_approved", "plan_id": "p"})
    # as RabbitMQ dead-letters a message past its delivery-limit: no header of ours, an x-death
    broker = SimpleNamespace(headers={"x-death": [{"queue": "evt-monitoring-readings_approved--monitoring.on_x",
                                                   "reason": "delivery_limit", "count": 1}]}, body=body)
    assert dead_letters._summary(broker)["queue"] == "evt-monitoring-readings_approved--monitoring.on_x"
    ours = SimpleNamespace(headers={deadletters.SOURCE: "evt-a--b.c", deadletters.ATTEMPT: 5}, body=body)
    assert dead_letters._summary(ours)["queue"] == "evt-a--b.c"
    assert dead_letters._summary(SimpleNamespace(headers={}, body=body))["queue"] is None
