"""Pushing readings safely over poor connections.

A push is cut into batches; each batch's Idempotency-Key is derived from its content, so the
server stores a batch once however often it is sent. A journal (one file per server and plan)
records the batches the server acknowledged, so a push run again after an interruption sends
only what is missing. Batches that cannot be sent (offline, or the server unreachable after its
retries) wait in an outbox that `ortak sync` empties later.
"""
import hashlib
import json
import os

from . import settings
from .errors import CliError, Unreachable


def batch_key(plan_id, lines):
    canonical = json.dumps([plan_id, lines], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "ortak-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _state_dir(kind):
    path = os.path.join(settings.config_home(), kind)
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


class Journal:
    """The batch keys a server acknowledged for a plan, appended one a line as they are."""

    def __init__(self, url, plan_id):
        name = hashlib.sha256(f"{url}|{plan_id}".encode()).hexdigest()[:24]
        self.path = os.path.join(_state_dir("journal"), name)
        try:
            with open(self.path) as f:
                self.keys = {line.strip() for line in f if line.strip()}
        except FileNotFoundError:
            self.keys = set()

    def __contains__(self, key):
        return key in self.keys

    def add(self, key):
        with open(self.path, "a") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.keys.add(key)


def queue(url, plan_id, key, lines):
    path = os.path.join(_state_dir("outbox"), f"{key}.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"url": url, "plan": plan_id, "key": key, "readings": lines}, f, ensure_ascii=False)
    os.replace(path + ".tmp", path)  # a queued batch is whole or absent


def unqueue(key):
    """A batch the server acknowledged leaves the outbox, if it waited there."""
    try:
        os.remove(os.path.join(_state_dir("outbox"), f"{key}.json"))
    except FileNotFoundError:
        pass


def queued(url=None):
    directory = _state_dir("outbox")
    found = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as f:
                item = json.load(f)
            if url is None or item["url"] == url:
                found.append((os.path.join(directory, name), item))
    return found


def send(api, plan_id, key, lines, offset=0, places=None):
    """POST one batch with its key; a refusal names the lines by where they came from."""
    try:
        return api.request("POST", f"/plans/{plan_id}/readings", json={"readings": lines},
                           headers={"Idempotency-Key": key}, expect=(202,)).json()
    except Unreachable:
        raise
    except CliError as exc:
        if places and exc.errors:
            exc.errors = {_place(path, offset, places): messages for path, messages in exc.errors.items()}
        raise


def _place(path, offset, places):
    """readings[3].value -> the file place of line offset + 3."""
    if path.startswith("readings[") and "]" in path:
        index = path[len("readings["):path.index("]")]
        if index.isdigit() and offset + int(index) < len(places):
            return f"{places[offset + int(index)]}{path[path.index(']') + 1:]}"
    return path


def push(api, url, plan_id, lines, places, batch_size=1000, offline=False, advance=lambda n: None):
    """Send ``lines`` in batches; returns a summary. Batches already acknowledged are skipped;
    when offline, or when the server cannot be reached, the rest are queued."""
    journal = Journal(url, plan_id)
    summary = {"batches": 0, "sent": 0, "skipped": 0, "queued": 0, "accepted": 0}
    batches = [lines[i:i + batch_size] for i in range(0, len(lines), batch_size)]
    unreachable = None
    for number, batch in enumerate(batches):
        key = batch_key(plan_id, batch)
        summary["batches"] += 1
        if key in journal:
            summary["skipped"] += 1
        elif offline or unreachable:
            queue(url, plan_id, key, batch)
            summary["queued"] += 1
        else:
            try:
                answer = send(api, plan_id, key, batch, number * batch_size, places)
            except Unreachable as exc:
                unreachable = exc
                queue(url, plan_id, key, batch)
                summary["queued"] += 1
            else:
                journal.add(key)
                unqueue(key)
                summary["sent"] += 1
                summary["accepted"] += answer.get("accepted", 0)
        advance(len(batch))
    summary["unreachable"] = str(unreachable) if unreachable else None
    return summary


def drain(api, url, advance=lambda n: None):
    """Send what the outbox holds for ``url``, oldest first; stops at the first unreachable."""
    summary = {"sent": 0, "accepted": 0, "left": 0}
    items, journals = queued(url), {}
    for i, (path, item) in enumerate(items):
        if item["plan"] not in journals:
            journals[item["plan"]] = Journal(url, item["plan"])
        journal = journals[item["plan"]]
        if item["key"] in journal:
            os.remove(path)  # sent since by a push run again
            continue
        try:
            answer = send(api, item["plan"], item["key"], item["readings"])
        except Unreachable:
            summary["left"] = len(items) - i
            raise
        journal.add(item["key"])
        os.remove(path)
        summary["sent"] += 1
        summary["accepted"] += answer.get("accepted", 0)
        advance(len(item["readings"]))
    return summary
