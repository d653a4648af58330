"""Session-wide real dependencies: the embedded store and a private vhost on the real broker.

The services run as real processes (ops.stack), so this process needs no eventlet patching.
"""
import os
import secrets

import pytest
from hypothesis import settings

from ops import broker
from ops.processes import free_port  # noqa: F401 (the suites import it from here)
from ops.store import EmbeddedStore
from shared import config

# Property tests check rules, not speed: no per-example deadline (a busy machine is not a failure)
settings.register_profile("ortak", deadline=None)
settings.load_profile("ortak")

RUN_ID = f"{os.getpid()}{secrets.token_hex(3)}"
# The running system's fixtures, one session-wide stack for the integration and fault suites.
pytest_plugins = ["tests.stack"]


@pytest.fixture(scope="session")
def run_id():
    return RUN_ID


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """The embedded store on a free port (the fault suite stops and starts it), or None when
    ORTAK_TEST_MONGODB_URI names a MongoDB to run against."""
    if config.env("ORTAK_TEST_MONGODB_URI"):
        yield None
        return
    embedded = EmbeddedStore(str(tmp_path_factory.mktemp("store")), free_port()).start()
    yield embedded
    embedded.stop()


@pytest.fixture(scope="session")
def store_uri(store):
    return store.uri if store is not None else config.env("ORTAK_TEST_MONGODB_URI")


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
