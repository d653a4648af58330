"""gunicorn settings for the gateway (gthread workers; gunicorn >= 26 has no eventlet worker)."""
import gc
import os

import gunicorn.util

# The gateway's threads resolve names as Python does; eventlet's green resolver (nameko imports
# eventlet) would load dnspython, some 4 MB, for nothing. Set before the app is imported.
os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

from services.gateway import logs  # noqa: E402
from services.gateway.server_errors import write_problem  # noqa: E402
from shared import memory  # noqa: E402

memory.tune_collector()   # as the services do (shared/memory.py says why)

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GATEWAY_ACCESS_LOG", "-")
# JSON lines with the request id, as the services write theirs
access_log_format = logs.ACCESS_FORMAT
logconfig_dict = logs.config(os.environ.get("LOG_LEVEL", "INFO"))
wsgi_app = "services.gateway.app:create_app()"
# The app is loaded once, before the workers fork: they share its modules' pages instead of each
# holding a copy (it opens no connection until a request needs one; its cache listener starts in
# the worker). Frozen objects are left out of the workers' garbage collection, which would
# otherwise write to, and so copy, every page it walks.
preload_app = os.environ.get("GATEWAY_PRELOAD", "1") != "0"

# the errors gunicorn answers itself (414, 431, 400) are problem+json too
gunicorn.util.write_error = write_problem


def pre_fork(server, worker):
    gc.freeze()


def child_exit(server, worker):
    # Prometheus multiprocess mode: forget the metrics files of a worker that is gone.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
