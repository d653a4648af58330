"""Declare the messaging topology before any producer publishes (idempotent).

An event published to an exchange with no bound queue is dropped, so before services start
this declares every service's event exchange, every consumer queue with its binding (named and
declared exactly as nameko declares them, so nameko finds them as it expects) and the
dead-letter queue. `make run`, the tests and docker-compose run it first. A queue no handler
consumes any more is deleted (``RETIRED``): left bound, it would fill with events nobody reads.

    python -m ops.topology
"""
import importlib

import kombu
from nameko.events import SERVICE_POOL
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from shared import config, deadletters
from shared.entrypoints import ReliableEventHandler
from shared.catalogue import producers
from shared.events import exchange_name


# queues of handlers since removed, and why: deleted by ``declare``
RETIRED = {
    "evt-requests-service_request_filed--requests.on_request_filed":
        "a filing marks its service-quality half-years itself",
    "evt-requests-service_request_status_changed--requests.on_request_status_changed":
        "a status change marks its service-quality half-years itself",
}


def exchanges():
    return [kombu.Exchange(exchange_name(service), type="topic", durable=True) for service in producers()]


def consumers():
    """(queue name, source service, event type) of every event handler of every service."""
    found = []
    for service, target in config.SERVICES.items():
        module, cls = target.split(":")
        service_class = getattr(importlib.import_module(module), cls)
        for name in dir(service_class):
            for entrypoint in getattr(getattr(service_class, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, ReliableEventHandler) and entrypoint.handler_type is SERVICE_POOL:
                    queue = f"evt-{entrypoint.source_service}-{entrypoint.event_type}--{service}.{name}"
                    found.append((queue, entrypoint.source_service, entrypoint.event_type))
    return sorted(found)


def queues():
    return [kombu.Queue(name, exchange=kombu.Exchange(exchange_name(source), type="topic", durable=True),
                        routing_key=event_type, durable=True, auto_delete=False, exclusive=False)
            for name, source, event_type in consumers()]


def declare(uri=None):
    with kombu.Connection(uri or config.amqp_uri(), connect_timeout=5) as conn:
        channel = conn.channel()
        for exchange in exchanges():
            exchange(channel).declare()
        for queue in queues():
            queue(channel).declare()
        deadletters.queue(channel).declare()
        for name in RETIRED:   # deleting a queue that is not there is no error
            channel.queue_delete(name)
    return {"exchanges": [e.name for e in exchanges()], "queues": [q.name for q in queues()],
            "dead_letters": deadletters.QUEUE, "retired": sorted(RETIRED)}


if __name__ == "__main__":
    declared = declare()
    print("exchanges:", ", ".join(declared["exchanges"]))
    print(f"consumer queues ({len(declared['queues'])}):", ", ".join(declared["queues"]))
    print("dead letters:", declared["dead_letters"])
    print("retired (deleted):", ", ".join(declared["retired"]))
