"""Making sure a RabbitMQ broker answers, and giving test runs their own vhost."""
import os
import shutil
import subprocess
from urllib.parse import quote, urlsplit, urlunsplit

import kombu

from .processes import wait_until


class BrokerMissing(RuntimeError):
    pass


def answers(uri, timeout=3):
    try:
        with kombu.Connection(uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:
        return False


def is_local(uri):
    return urlsplit(uri).hostname in ("127.0.0.1", "localhost", "::1")


def ensure(uri, log=print):
    """Returns True when this call started the broker (the caller then stops it)."""
    if answers(uri):
        return False
    if not is_local(uri):
        raise BrokerMissing(f"No broker answers at {uri}. Start it, or point AMQP_URI at one that runs.")
    if shutil.which("rabbitmq-server") is None:
        if os.geteuid() == 0 and shutil.which("apt-get") and os.path.exists("/etc/debian_version"):
            log("Installing rabbitmq-server with apt-get ...")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "rabbitmq-server"], check=True, env=env)
        else:
            raise BrokerMissing(
                f"No broker answers at {uri} and rabbitmq-server is not installed. Install it "
                "(Debian/Ubuntu: sudo apt-get install rabbitmq-server), run it with Docker "
                "(docker run -d -p 5672:5672 rabbitmq:3-management), or set AMQP_URI to a broker.")
    log("Starting rabbitmq-server ...")
    subprocess.run(["rabbitmq-server", "-detached"], check=True)
    wait_until(lambda: answers(uri, timeout=2), 90, interval=1, what="RabbitMQ answering")
    return True


def stop_started():
    subprocess.run(["rabbitmqctl", "stop"], check=False, capture_output=True)


def with_vhost(uri, vhost):
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, parts.fragment))


def add_vhost(uri, vhost):
    """A private vhost for a test run (needs rabbitmqctl on this machine); None if not possible."""
    if not is_local(uri) or shutil.which("rabbitmqctl") is None:
        return None
    user = urlsplit(uri).username or "guest"
    result = subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
                   check=True, capture_output=True)
    return with_vhost(uri, vhost)


def delete_vhost(vhost):
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
