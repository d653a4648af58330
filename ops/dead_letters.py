"""Operations on the dead-letter queue: events whose handler kept failing.

    python -m ops.dead_letters list
    python -m ops.dead_letters show <event_id>
    python -m ops.dead_letters replay <event_id> | --all

Listing and showing take the messages without acknowledging them and give them back when done,
so nothing leaves the queue; a replay republishes the event to the queue it failed on (its
attempts counted afresh), confirmed by the broker before the dead letter is removed. Handlers
are idempotent, so a replayed event that had in fact been handled changes nothing.
"""
import json
import sys

import kombu

from shared import config, deadletters

from . import topology


def _take_all(channel):
    """Every dead letter, unacknowledged: they return to the queue when the channel closes."""
    taken = []
    queue = deadletters.queue(channel)
    queue.declare()
    while True:
        message = queue.get(no_ack=False, accept=["json"])
        if message is None:
            return taken
        taken.append(message)


def _source_queue(headers):
    """The queue a dead letter came from: ours names it; one the broker dead-lettered (a quorum
    queue's delivery-limit, deploy/kubernetes) names it in its x-death header."""
    if headers.get(deadletters.SOURCE):
        return headers[deadletters.SOURCE]
    deaths = headers.get("x-death") or []
    return deaths[0].get("queue") if deaths else None


def _summary(message):
    headers = message.headers or {}
    body = json.loads(message.body)
    return {"event_id": body.get("event_id"), "type": body.get("type"), "plan_id": body.get("plan_id"),
            "queue": _source_queue(headers), "attempts": headers.get(deadletters.ATTEMPT),
            "failed_at": headers.get(deadletters.FAILED_AT), "error": headers.get(deadletters.ERROR)}


def listing(uri=None):
    with kombu.Connection(uri or config.amqp_uri(), connect_timeout=5) as connection:
        return [_summary(m) for m in _take_all(connection.channel())]


def show(event_id, uri=None):
    with kombu.Connection(uri or config.amqp_uri(), connect_timeout=5) as connection:
        for message in _take_all(connection.channel()):
            if _summary(message)["event_id"] == event_id:
                return {**_summary(message), "event": json.loads(message.body)}
    return None


def replay(event_id=None, uri=None):
    """Republish the dead letter of ``event_id`` (or every one) to its queue; returns what was replayed."""
    uri = uri or config.amqp_uri()
    topology.declare(uri)  # the queue it goes back to exists, even if its service never started
    replayed = []
    with kombu.Connection(uri, connect_timeout=5) as connection:
        for message in _take_all(connection.channel()):
            summary = _summary(message)
            if event_id is not None and summary["event_id"] != event_id:
                continue
            if not summary["queue"]:  # nowhere to send it back: it stays a dead letter
                continue
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (deadletters.ATTEMPT, deadletters.SOURCE, deadletters.ERROR,
                                    deadletters.FAILED_AT)}
            deadletters.publish(uri, message.body, summary["queue"], headers, message.content_type,
                                message.content_encoding)
            message.ack()
            replayed.append(summary)
    return replayed


def main(argv):
    command = argv[0] if argv else "list"
    if command == "list":
        letters = listing()
        for letter in letters:
            print(f"{letter['event_id']}  {letter['type']:<22} {letter['plan_id'] or '-':<24} "
                  f"attempts={letter['attempts']} queue={letter['queue']}\n    {letter['error']}")
        print(f"{len(letters)} dead letters")
        return 0
    if command == "show" and len(argv) == 2:
        letter = show(argv[1])
        if letter is None:
            print(f"no dead letter {argv[1]}", file=sys.stderr)
            return 1
        print(json.dumps(letter, ensure_ascii=False, indent=2))
        return 0
    if command == "replay" and len(argv) == 2:
        replayed = replay(None if argv[1] == "--all" else argv[1])
        for letter in replayed:
            print(f"replayed {letter['event_id']} to {letter['queue']}")
        if not replayed:
            print(f"no dead letter {argv[1]}", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
