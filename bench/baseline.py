"""What the benchmarks are measured against, in the same run on the same machine: the store's
own bulk insert, the broker's publish-with-confirms and consume, and one bare RPC behind a bare
gunicorn endpoint (bare.py and noop.py)."""
import json
import secrets
import time

import kombu
import pymongo


def store_bulk_insert(mongodb_uri, batches):
    """Readings per second written with the driver's insert_many, a batch at a time."""
    database = f"bench_raw_{secrets.token_hex(3)}"
    with pymongo.MongoClient(mongodb_uri) as client:
        collection = client[database]["readings"]
        started = time.perf_counter()
        for batch in batches:
            collection.insert_many([dict(line, _id=f"{i}|{line['indicator']}|{line['period']}")
                                    for i, line in enumerate(batch)], ordered=False)
        elapsed = time.perf_counter() - started
        count = collection.count_documents({})
        client.drop_database(database)
    return count / elapsed


def broker_round_trip(amqp_uri, batches):
    """Readings per second through the broker: every batch published with confirms to a durable
    queue, then consumed and acknowledged."""
    name = f"bench-raw-{secrets.token_hex(3)}"
    total = sum(len(batch) for batch in batches)
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        queue = kombu.Queue(name, durable=True, auto_delete=False, channel=connection.channel())
        queue.declare()
        producer = kombu.Producer(connection.channel())
        received = []

        def on_message(body, message):
            received.append(len(body["readings"]))  # decoded by kombu (content_type)
            message.ack()

        started = time.perf_counter()
        for batch in batches:
            producer.publish(json.dumps({"readings": batch}), routing_key=name, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")
        with kombu.Consumer(connection, [queue], callbacks=[on_message], accept=["json"]):
            while sum(received) < total:
                connection.drain_events(timeout=30)
        elapsed = time.perf_counter() - started
        queue.delete()
    return total / elapsed
