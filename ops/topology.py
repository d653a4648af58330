"""Declare the messaging topology before any producer publishes (idempotent).

An event published to an exchange with no bound queue is dropped, so the exchanges exist
before services start, with the same arguments nameko uses (topic, durable).

    python -m ops.topology
"""
import kombu

from shared import config
from shared.events import PRODUCERS, exchange_name


def exchanges():
    return [kombu.Exchange(exchange_name(service), type="topic", durable=True) for service in PRODUCERS]


def declare(uri=None):
    with kombu.Connection(uri or config.amqp_uri(), connect_timeout=5) as conn:
        channel = conn.channel()
        for exchange in exchanges():
            exchange(channel).declare()
    return [e.name for e in exchanges()]


if __name__ == "__main__":
    print("declared:", ", ".join(declare()))
