"""Configuration from the environment only, with defaults that run locally."""
import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# Every service by its nameko name, with the class `nameko run` starts.
SERVICES = {
    "plan_registry": "services.plan_registry.service:PlanRegistry",
    "consultation": "services.consultation.service:ConsultationService",
    "monitoring": "services.monitoring.service:MonitoringService",
    "requests": "services.requests.service:RequestsService",
    "programme": "services.programme.service:ProgrammeService",
}
# What a process is started with, beyond the common environment (compose, Kubernetes and
# ops/stack.py all set it). Monitoring's big figurings go through glibc's malloc, so the pages they
# free are handed back (shared.memory): freed through Python's own allocator, they stay
# scattered over its arenas (after one approval of 10,000 readings, at rest: 197 MB, against 107 MB).
# The gateway's threads would each get a malloc arena of their own that keeps what it freed: its
# objects are 14 MB, yet a worker grew by 80 MB under load; two arenas hold it to 20–35 MB. The
# registry builds the versions of big plans as monitoring figures them (208 MB after the full
# benchmark's 10,000-indicator plan). Every service and the gateway hand back what they freed
# once they are idle and have grown by some megabytes (shared.memory).
SERVICE_ENV = {"monitoring": {"PYTHONMALLOC": "malloc"}, "plan_registry": {"PYTHONMALLOC": "malloc"},
               "gateway": {"MALLOC_ARENA_MAX": "2"}}
DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/"


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


class ConfigurationError(RuntimeError):
    pass


# Variables that may name a file holding their value instead (<NAME>_FILE), as Docker and
# Kubernetes mount secrets.
FILE_VARIABLES = ("AMQP_URI", "MONGODB_URI", "ORTAK_ADMIN_TOKEN", "ORTAK_TOKEN_PEPPER", "ORTAK_METRICS_TOKEN")


def secret(name, default=None):
    """``name`` from the environment, or from the file that ``<name>_FILE`` names (its content
    without the final newline); an empty value counts as unset."""
    path = env(f"{name}_FILE")
    if path is None:
        return env(name, default)
    if env(name) is not None:
        raise ConfigurationError(f"Both {name} and {name}_FILE are set: set one of them.")
    try:
        with open(path) as f:
            value = f.read().rstrip("\r\n")
    except OSError as exc:
        raise ConfigurationError(f"{name}_FILE={path}: {exc.strerror}") from None
    return value or default


def production():
    """ORTAK_ENV=production: no built-in default may stand in for a secret."""
    return env("ORTAK_ENV", "development") == "production"


def amqp_uri():
    return secret("AMQP_URI", DEFAULT_AMQP_URI)


def mongodb_uri():
    return secret("MONGODB_URI", DEFAULT_MONGODB_URI)


def database_name(service):
    """Each service owns its database; a prefix lets test runs keep theirs apart."""
    return f"{env('ORTAK_DB_PREFIX', 'ortak')}_{service}"


def rpc_timeout():
    return float(env("ORTAK_RPC_TIMEOUT", "10"))


def nameko_config():
    """The nameko config dict used by standalone proxies and in-process containers."""
    return {
        "AMQP_URI": amqp_uri(),
        "serializer": "json",
        "HEARTBEAT": 30,
    }
