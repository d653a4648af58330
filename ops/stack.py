"""The whole system as local processes: store, data migrations, broker check, topology, services,
gateway.

``make run`` and the integration tests start Ortak through this one class.
"""
import os
import shutil
import sys
import time

import requests

from shared.config import DEFAULT_AMQP_URI, SERVICE_ENV, SERVICES

from . import broker, migrate, topology
from .processes import Backoff, Child, free_port, wait_until
from .store import EmbeddedStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bin_path(name):
    return os.path.join(os.path.dirname(sys.executable), name)


class Stack:
    def __init__(self, var_dir, port=8000, amqp_uri=None, mongodb_uri=None, store_port=27017,
                 db_prefix="ortak", admin_token=None, env=None, log=print, replicas=None):
        self.var_dir = os.path.abspath(var_dir)
        self.port = port
        self.amqp_uri = amqp_uri or DEFAULT_AMQP_URI
        self.mongodb_uri = mongodb_uri
        self.store_port = store_port
        self.db_prefix = db_prefix
        self.admin_token = admin_token
        self.extra_env = env or {}
        self.log = log
        self.store = None
        self.services = {}      # the first process of each service
        self.replicas = {}      # the others (ORTAK_REPLICAS=N: N processes of each, competing for its queues)
        self.count = max(1, int(replicas or os.environ.get("ORTAK_REPLICAS") or 1))
        self.gateway = None
        self.metrics_ports = {}  # process name (as its log is named) -> the port of its /metrics
        self.started_broker = False
        self.backoffs = {}

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self):
        if getattr(self, "_env", None):
            return self._env
        metrics_dir = os.path.join(self.var_dir, "metrics")
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.makedirs(metrics_dir)
        env = dict(os.environ, AMQP_URI=self.amqp_uri, MONGODB_URI=self.mongodb_uri, ORTAK_DB_PREFIX=self.db_prefix,
                   PORT=str(self.port), HOST="127.0.0.1", PROMETHEUS_MULTIPROC_DIR=metrics_dir,
                   PYTHONPATH=ROOT, **self.extra_env)
        # the local stack is served over plain http: cookies without the Secure flag
        env.setdefault("ORTAK_INSECURE_COOKIES", "1")
        if self.admin_token:
            env["ORTAK_ADMIN_TOKEN"] = self.admin_token
        for name in ("AMQP_URI", "MONGODB_URI", "ORTAK_ADMIN_TOKEN"):
            if env.get(name):  # given here as a value: a <NAME>_FILE from our own environment must not clash
                env.pop(f"{name}_FILE", None)
        self._env = env
        return env

    def log_path(self, name):
        return os.path.join(self.var_dir, "log", f"{name}.log")

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        if self.mongodb_uri is None:
            self.log(f"store: embedded nx-27017, data in {os.path.join(self.var_dir, 'store')}")
            self.store = EmbeddedStore(os.path.join(self.var_dir, "store"), self.store_port).start()
            self.mongodb_uri = self.store.uri
        # documents of an older release in today's shape before any service reads them
        self.log("migrate: " + migrate.summary(migrate.run(self.mongodb_uri, self.db_prefix)))
        self.started_broker = broker.ensure(self.amqp_uri, log=self.log)
        topology.declare(self.amqp_uri)
        env = self.env()
        for name in SERVICES:
            self.services[name] = self.start_service(name, env)
            for _ in range(self.count - 1):
                self.add_replica(name, env)
        if self.count > 1:
            self.log(f"{self.count} processes of each service")
        self.start_gateway(env)
        self.wait_ready()

    def start_gateway(self, env=None):
        self.gateway = Child("gateway", [bin_path("gunicorn"), "-c", os.path.join(ROOT, "deploy/gunicorn.conf.py")],
                             env=dict(env or self.env(), **SERVICE_ENV["gateway"]), log_path=self.log_path("gateway"),
                             cwd=ROOT).start()

    def start_service(self, name, env=None, log_name=None):
        """A process of service ``name``, its metrics on a port of its own (kept across restarts)."""
        log_name = log_name or name
        argv = [bin_path("nameko"), "run", "--config", os.path.join(ROOT, "deploy/nameko.yml"), SERVICES[name]]
        env = dict(env or self.env(), **SERVICE_ENV.get(name, {}), ORTAK_METRICS_PORT=str(free_port()))
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the gateway's workers share that; a service serves its own
        self.metrics_ports[log_name] = int(env["ORTAK_METRICS_PORT"])
        return Child(log_name, argv, env=env, log_path=self.log_path(log_name), cwd=ROOT).start()

    def metrics_processes(self):
        """The service processes running now that serve metrics, by name (``monitoring.2``)."""
        running = {child.name for _, child in self.children() if child.alive()}
        return sorted(name for name in self.metrics_ports if name in running)

    def metrics_url(self, process):
        """``/metrics`` of a service's process: ``monitoring``, or ``monitoring.2`` for a replica."""
        return f"http://127.0.0.1:{self.metrics_ports[process]}/metrics"

    def add_replica(self, name, env=None):
        """One more process of a service: it consumes the same RPC and event queues as the others
        (RabbitMQ gives each message to one of them)."""
        extras = self.replicas.setdefault(name, [])
        child = self.start_service(name, env, log_name=f"{name}.{len(extras) + 2}")
        extras.append(child)
        return child

    def remove_replica(self, name):
        extras = self.replicas.get(name) or []
        if extras:
            child = extras.pop()
            child.stop()
            self.metrics_ports.pop(child.name, None)

    def processes(self, name):
        """Every process of service ``name``: the first, then its replicas."""
        return [self.services[name], *self.replicas.get(name, [])]

    def restart_service(self, name, kill=False, env=None):
        """Stop (``kill``: SIGKILL) every process of a service and start as many again (``env``: with
        that environment), then wait until the system is ready."""
        old = self.processes(name)
        for child in old:
            child.kill() if kill else child.stop()
        self.services[name] = self.start_service(name, env)
        self.replicas[name] = [self.start_service(name, env, log_name=f"{name}.{n + 2}") for n in range(len(old) - 1)]
        self.wait_ready()

    def children(self):
        """(name, child) of every long-running process this stack started, in start order."""
        found = [("store", self.store)] if self.store is not None else []
        found += list(self.services.items())
        found += [(child.name, child) for extras in self.replicas.values() for child in extras]
        if self.gateway is not None:
            found.append(("gateway", self.gateway))
        return found

    def supervise(self, now=None):
        """Restart each child that died, after a back-off (1, 2, 4 ... 30 s; back to 1 s once it
        has run a minute), saying so. Call it every so often from the thread that started the
        children (their death signal is tied to it)."""
        now = time.monotonic() if now is None else now
        for name, child in self.children():
            if child.alive():
                continue
            backoff = self.backoffs.setdefault(name, Backoff())
            if backoff.due is None:
                child.kill_leftovers()
                ran_for = now - (child.started_at or now)
                delay = backoff.next_delay(ran_for)
                backoff.due = now + delay
                self.log(f"{name} exited ({child.popen.returncode}) after {ran_for:.0f} s; restarting it in "
                         f"{delay:g} s (log: {child.log_path})")
            elif now >= backoff.due:
                backoff.due = None
                backoff.restarts += 1
                try:
                    child.close_log()
                    child.start()
                    self.log(f"{name} restarted (pid {child.pid}; restart {backoff.restarts})")
                except Exception as exc:  # tried again after a longer delay
                    self.log(f"{name} could not be restarted: {exc}")

    def ready(self):
        for child in [*self.services.values(), *(c for extras in self.replicas.values() for c in extras), self.gateway]:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited with {child.popen.returncode}; see {child.log_path}")
        return requests.get(self.url + "/readyz", timeout=5).status_code == 200

    def wait_ready(self, timeout=60):
        wait_until(self.ready, timeout, interval=0.25, what="Ortak ready (/readyz 200)")

    def stop(self):
        """Stop what this stack started, newest first, each by its process id."""
        extras = [c for name in reversed(list(self.replicas)) for c in reversed(self.replicas[name])]
        for child in [self.gateway, *extras, *reversed(list(self.services.values()))]:
            if child is not None:
                child.stop()
        if self.store is not None:
            self.store.stop()
        if self.started_broker:
            broker.stop_started()
            self.started_broker = False
