"""Session-wide real dependencies: the embedded store and a private vhost on the real broker.

The services run as real processes (ops.stack), so this process needs no eventlet patching.
"""
import os
import secrets
import socket

import pytest

from ops import broker
from ops.store import EmbeddedStore
from shared import config

RUN_ID = f"{os.getpid()}{secrets.token_hex(3)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def run_id():
    return RUN_ID


@pytest.fixture(scope="session")
def store_uri(tmp_path_factory):
    """The embedded store on a free port, or the MongoDB named by ORTAK_TEST_MONGODB_URI."""
    if config.env("ORTAK_TEST_MONGODB_URI"):
        yield config.env("ORTAK_TEST_MONGODB_URI")
        return
    store = EmbeddedStore(str(tmp_path_factory.mktemp("store")), free_port()).start()
    yield store.uri
    store.stop()


@pytest.fixture(scope="session")
def amqp_uri():
    """A vhost of our own on the real broker, so a running `make run` never sees test traffic."""
    base = config.amqp_uri()
    started = broker.ensure(base)
    vhost = f"ortak-test-{RUN_ID}"
    uri = broker.add_vhost(base, vhost)
    if uri is None:
        print(f"note: could not create a vhost; tests share {base}")
    yield uri or base
    if uri:
        broker.delete_vhost(vhost)
    if started:
        broker.stop_started()
