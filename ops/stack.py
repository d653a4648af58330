"""The whole system as local processes: store, broker check, topology, services, gateway.

``make run`` and the integration tests start Ortak through this one class.
"""
import os
import shutil
import sys

import requests

from shared.config import DEFAULT_AMQP_URI, SERVICES

from . import broker, topology
from .processes import Child, wait_until
from .store import EmbeddedStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bin_path(name):
    return os.path.join(os.path.dirname(sys.executable), name)


class Stack:
    def __init__(self, var_dir, port=8000, amqp_uri=None, mongodb_uri=None, store_port=27017,
                 db_prefix="ortak", admin_token=None, env=None, log=print):
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
        self.services = {}
        self.gateway = None
        self.started_broker = False

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
        if self.admin_token:
            env["ORTAK_ADMIN_TOKEN"] = self.admin_token
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
        self.started_broker = broker.ensure(self.amqp_uri, log=self.log)
        topology.declare(self.amqp_uri)
        env = self.env()
        for name in SERVICES:
            self.services[name] = self.start_service(name, env)
        self.start_gateway(env)
        self.wait_ready()

    def start_gateway(self, env=None):
        self.gateway = Child("gateway", [bin_path("gunicorn"), "-c", os.path.join(ROOT, "deploy/gunicorn.conf.py")],
                             env=env or self.env(), log_path=self.log_path("gateway"), cwd=ROOT).start()

    def start_service(self, name, env=None):
        argv = [bin_path("nameko"), "run", "--config", os.path.join(ROOT, "deploy/nameko.yml"), SERVICES[name]]
        return Child(name, argv, env=env or self.env(), log_path=self.log_path(name), cwd=ROOT).start()

    def restart_service(self, name, kill=False):
        child = self.services[name]
        child.kill() if kill else child.stop()
        self.services[name] = self.start_service(name)
        self.wait_ready()

    def ready(self):
        for child in [*self.services.values(), self.gateway]:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited with {child.popen.returncode}; see {child.log_path}")
        return requests.get(self.url + "/readyz", timeout=5).status_code == 200

    def wait_ready(self, timeout=60):
        wait_until(self.ready, timeout, interval=0.25, what="Ortak ready (/readyz 200)")

    def stop(self):
        """Stop what this stack started, newest first, each by its process id."""
        for child in [self.gateway, *reversed(list(self.services.values()))]:
            if child is not None:
                child.stop()
        if self.store is not None:
            self.store.stop()
        if self.started_broker:
            broker.stop_started()
