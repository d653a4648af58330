"""Configuration from the environment only, with defaults that run locally."""
import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# Every service by its nameko name, with the class `nameko run` starts.
SERVICES = {
    "plan_registry": "services.plan_registry.service:PlanRegistry",
    "consultation": "services.consultation.service:ConsultationService",
    "monitoring": "services.monitoring.service:MonitoringService",
}
DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/"


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def amqp_uri():
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def mongodb_uri():
    return env("MONGODB_URI", DEFAULT_MONGODB_URI)


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
