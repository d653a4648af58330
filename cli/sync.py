"""Pushing readings and projects safely over poor connections.

A push is cut into batches; each batch's Idempotency-Key is derived from its content, so the
server stores a batch once however often it is sent. A journal (one file per server and plan)
records the batches the server acknowledged, so a push run again after an interruption sends
only what is missing. Batches that cannot be sent (offline, or the server unreachable after its
retries) wait in an outbox (one file per batch, named by its key) that `ortak sync` empties
later, against whichever server it is run for. A projects push goes the same way, a project at a
time: its key is derived from the row, and the server registers a keyed project once; so does a
municipality's book of service requests, whose rows the server stores once by their own ids.
"""
import hashlib
import json
import os

from . import projects_book, settings
from .errors import AUTH, CliError, Unreachable


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


def queue(url, plan_id, key, lines, kind="readings", **more):
    """A batch of readings, one project (``kind`` "projects", a list of one) or a batch of service
    requests (``kind`` "requests", ``municipality``), kept for `ortak sync`."""
    path = os.path.join(_state_dir("outbox"), f"{key}.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"url": url, "plan": plan_id, "key": key, kind: lines, **more}, f, ensure_ascii=False)
    os.replace(path + ".tmp", path)  # a queued batch is whole or absent


def size(item):
    """How many readings, projects or requests a queued item holds."""
    return len(item.get("readings") or item.get("projects") or item.get("requests") or [])


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


# -- projects ---------------------------------------------------------------------------------------
def project_key(plan_id, body):
    return batch_key(plan_id, ["project", body])


def portfolio(api, plan_id):
    """The plan's projects on the server, by code."""
    return {p["code"]: p for p in api.get(f"/plans/{plan_id}/projects")}


def send_project(api, plan_id, key, body, known, place=None):
    """Register the project, or change the server's project of its code: "created", "changed" or
    "unchanged". The key makes a repeated registration find the first; a change carries If-Match, and
    a 412 after a lost answer is success when the server has what was sent. ``known``: the
    portfolio by code, kept up to date."""
    current = known.get(body["code"])
    try:
        if current is None:
            try:
                answer = api.request("POST", f"/plans/{plan_id}/projects", json=body, expect=(201,),
                                     headers={"Idempotency-Key": key}).json()
            except CliError as exc:
                if getattr(exc, "status", None) != 409:
                    raise
                known.update(portfolio(api, plan_id))   # registered meanwhile under its code: change it
                if body["code"] not in known:
                    raise
                return send_project(api, plan_id, key, body, known, place)
            known[body["code"]] = answer
            return "created"
        if projects_book.same(body, current):
            return "unchanged"
        try:
            answer = api.request("PUT", f"/projects/{current['id']}", json=body,
                                 headers={"If-Match": f'"{current["version"]}"'}).json()
        except CliError as exc:
            if getattr(exc, "status", None) != 412:
                raise
            now = api.get(f"/projects/{current['id']}")
            known[body["code"]] = now
            if not projects_book.same(body, now):
                raise CliError(f"Project {body['code']} was changed on the server while it was sent; pull the "
                               f"projects and push again.", exc.errors, exc.code) from None
            return "changed"
        known[body["code"]] = answer
        return "changed"
    except Unreachable:
        raise
    except CliError as exc:
        if place is not None and exc.errors:
            exc.errors = {projects_book.place_of(path, place): [f"{path}: {m}" for m in messages]
                          for path, messages in exc.errors.items()}
        raise


def push_projects(api, url, plan_id, bodies, places, offline=False, advance=lambda n: None):
    """Send each row; rows acknowledged before are skipped (the journal), and when offline or the
    server cannot be reached the rest wait in the outbox for `ortak sync`."""
    journal = Journal(url, plan_id)
    summary = {"projects": len(bodies), "created": 0, "changed": 0, "unchanged": 0, "skipped": 0, "queued": 0}
    unreachable, known = None, None
    for body, place in zip(bodies, places):
        key = project_key(plan_id, body)
        if key in journal:
            summary["skipped"] += 1
        elif offline or unreachable:
            queue(url, plan_id, key, [body], "projects")
            summary["queued"] += 1
        else:
            try:
                if known is None:
                    known = portfolio(api, plan_id)
                outcome = send_project(api, plan_id, key, body, known, place)
            except Unreachable as exc:
                unreachable = exc
                queue(url, plan_id, key, [body], "projects")
                summary["queued"] += 1
            else:
                journal.add(key)
                unqueue(key)
                summary[outcome] += 1
        advance(1)
    summary["unreachable"] = str(unreachable) if unreachable else None
    return summary


# -- service requests -------------------------------------------------------------------------------
def requests_scope(municipality):
    """Where a municipality's request batches are journaled (they belong to no plan)."""
    return f"requests:{municipality}"


def send_requests(api, municipality, rows):
    """POST one batch of requests: a row sent again is stored once (by its ``id``), so a repeat after
    a lost answer is harmless."""
    return api.request("POST", f"/municipalities/{municipality}/requests", harmless=True,
                       json={"requests": rows}).json()


def push_requests(api, url, municipality, rows, batch_size=1000, offline=False, advance=lambda n: None,
                  refused=lambda exc, start: None):
    """Send the rows in batches; batches acknowledged before are skipped (the journal), and when
    offline or the server cannot be reached the rest wait in the outbox for `ortak sync`.
    ``refused(exc, start)`` may rename a refusal's places before it is raised."""
    scope = requests_scope(municipality)
    journal = Journal(url, scope)
    summary = {"requests": len(rows), "created": 0, "batches": 0, "skipped": 0, "queued": 0}
    unreachable = None
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        key = batch_key(scope, batch)
        summary["batches"] += 1
        if key in journal:
            summary["skipped"] += 1
        elif offline or unreachable:
            queue(url, scope, key, batch, "requests", municipality=municipality)
            summary["queued"] += 1
        else:
            try:
                answer = send_requests(api, municipality, batch)
            except Unreachable as exc:
                unreachable = exc
                queue(url, scope, key, batch, "requests", municipality=municipality)
                summary["queued"] += 1
            except CliError as exc:
                refused(exc, start)
                raise
            else:
                journal.add(key)
                unqueue(key)
                summary["created"] += answer["created"]
        advance(len(batch))
    summary["unreachable"] = str(unreachable) if unreachable else None
    return summary


def drain(api, url, advance=lambda n: None):
    """Send what the outbox holds to the server at ``url``, oldest first; stops at the first
    unreachable. Every queued batch goes, whichever address it was queued for: a push queued
    because its address did not answer is sent by a sync against the one that does, and its
    content-derived key keeps a server from storing it twice. A batch the server refuses stays in
    the outbox, named in the summary, and the others are still sent."""
    summary = {"sent": 0, "accepted": 0, "projects": 0, "requests": 0, "left": 0, "refused": {}}
    items, journals, known = queued(), {}, {}
    for i, (path, item) in enumerate(items):
        if item["plan"] not in journals:
            journals[item["plan"]] = Journal(url, item["plan"])
        journal = journals[item["plan"]]
        if item["key"] in journal:
            os.remove(path)  # sent since by a push run again
            continue
        try:
            if "projects" in item:
                if item["plan"] not in known:
                    known[item["plan"]] = portfolio(api, item["plan"])
                send_project(api, item["plan"], item["key"], item["projects"][0], known[item["plan"]])
                answer = {"projects": 1}
            elif "requests" in item:
                answer = {"requests": send_requests(api, item["municipality"], item["requests"])["received"]}
            else:
                answer = send(api, item["plan"], item["key"], item["readings"])
        except Unreachable:
            summary["left"] = len(items) - i + len(summary["refused"])
            raise
        except CliError as exc:
            if exc.code == AUTH:
                raise
            summary["refused"][item["key"]] = {"plan": item["plan"], "queued_for": item["url"], "file": path,
                                               "error": str(exc), "errors": exc.errors}
            summary["left"] += 1
            continue
        journal.add(item["key"])
        os.remove(path)
        summary["sent"] += 1
        summary["accepted"] += answer.get("accepted", 0)
        summary["projects"] += answer.get("projects", 0)
        summary["requests"] += answer.get("requests", 0)
        advance(size(item))
    return summary
