"""What a gateway process remembers between requests, and the events that make it forget.

- The actor of a token or session it has checked (keyed by a hash of the secret, never the
  secret): a revocation, a logout or a disabled person arrives as an event within a second and the
  entry is dropped; a short TTL is the safety net.
- What it served for the reads people repeat (a plan, a period's progress), as the encoded body
  with its ETag, until an event says it changed (``figures_updated``, a plan's events). Clients
  that miss the same read at once (after such an event, say) wait for one fetch (``Flights``).

Each worker process listens on its own exclusive, auto-delete queue bound to the events it needs
(a kombu consumer thread, started lazily on the first request, so after gunicorn forks). Nothing
is remembered unless that queue is consuming: a process that could miss an event trusts no entry,
and a reconnect forgets everything. A generation taken before the RPC and checked before storing
keeps an answer fetched across an invalidation from being stored as fresh.
"""
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections import OrderedDict

import kombu

from shared import config
from shared import events as ev

log = logging.getLogger(__name__)

AUTH_EVENTS = (ev.TOKEN_REVOKED, ev.SESSION_ENDED, ev.PERSON_DISABLED)
# plan_registry: any event of a plan (its versions, status); consultation: a decided input adds to a
# plan's provenance; monitoring: stored figures changed
BINDINGS = (("plan_registry", "#"), ("consultation", ev.INPUT_DECIDED), ("monitoring", ev.FIGURES_UPDATED))


ANY = "*"
PROVENANCE_SETTLES = 2.0   # seconds


def digest(kind, secret):
    return hashlib.sha256(f"{kind}\0{secret}".encode("utf-8", "surrogatepass")).hexdigest()


class Expiring:
    """A bounded (entries and bytes), thread-safe map whose entries expire after ``ttl`` seconds.
    Each entry carries tags; ``drop(tag)`` forgets every entry carrying the tag."""

    def __init__(self, entries, ttl, max_bytes=None):
        self.entries, self.ttl, self.max_bytes = entries, ttl, max_bytes
        self.items = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()
        self.generations = {}   # tag -> count of invalidations
        self.generation = 0     # every invalidation

    def stamp(self, tags):
        """What ``put`` compares: the invalidations so far of ``tags`` (ANY: of any tag)."""
        with self.lock:
            return self._stamp(tags)

    def _stamp(self, tags):
        return (self.generation, tuple(self.generations.get(t, 0) for t in tags))

    def get(self, key):
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            expires, tags, size, payload = found
            if expires < time.monotonic():
                self._remove(key)
                return None
            self.items.move_to_end(key)
            return payload

    def put(self, key, payload, tags, stamp, stamped=None, size=1):
        """Stored under ``tags`` only when nothing ``stamped`` (default: the tags) was invalidated
        since ``stamp`` was taken, before the answer was fetched."""
        with self.lock:
            if stamp != self._stamp(tags if stamped is None else stamped):
                return False
            if self.max_bytes is not None and size > self.max_bytes // 4:
                return False
            if key in self.items:
                self._remove(key)
            self.items[key] = (time.monotonic() + self.ttl, tuple(tags), size, payload)
            self.bytes += size
            while len(self.items) > self.entries or (self.max_bytes is not None and self.bytes > self.max_bytes):
                self._remove(next(iter(self.items)))
            return True

    def drop(self, tag):
        with self.lock:
            for t in (tag, ANY):
                self.generations[t] = self.generations.get(t, 0) + 1
            for key in [k for k, v in self.items.items() if tag in v[1]]:
                self._remove(key)

    def discard(self, key):
        """Forget one entry; a fetch under way (stamped with ANY) is not stored either."""
        with self.lock:
            self.generations[ANY] = self.generations.get(ANY, 0) + 1
            if key in self.items:
                self._remove(key)

    def clear(self):
        with self.lock:
            self.generation += 1
            self.items.clear()
            self.bytes = 0

    def _remove(self, key):
        _, _, size, _ = self.items.pop(key)
        self.bytes -= size

    def __len__(self):
        return len(self.items)


class Flights:
    """One fetch at a time of each missed read in a process: the first thread to miss a key fetches
    it, the others wait for it (at most ``wait`` seconds) and then read what it kept, instead of
    every client of a big read asking the service for the same answer at once."""

    def __init__(self, wait):
        self.wait = wait
        self.lock = threading.Lock()
        self.flying = {}   # key -> an Event set when its fetch is over

    @contextlib.contextmanager
    def first(self, key):
        """True to the thread that fetches ``key``; False to one that waited for it (it reads the
        cache again, and fetches itself only if nothing was kept: an answer without an ETag, say)."""
        with self.lock:
            landed = self.flying.get(key)
            if landed is None:
                landed = self.flying[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            landed.wait(self.wait)
            yield False
            return
        try:
            yield True
        finally:
            with self.lock:
                self.flying.pop(key, None)
            landed.set()


class Listener:
    """The process's consumer thread: an exclusive, auto-delete queue bound to ``BINDINGS``."""

    def __init__(self, uri, on_event, on_lost):
        self.uri, self.on_event, self.on_lost = uri, on_event, on_lost
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="ortak-cache-events", daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.is_set():
            try:
                self._consume()
            except Exception:
                log.warning("cache events: connection lost; caches off until it is back", exc_info=True)
            finally:
                self.ready.clear()
                self.on_lost()
            self.stopped.wait(1)

    def _consume(self):
        name = f"gateway-cache-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        bindings = [kombu.binding(kombu.Exchange(ev.exchange_name(s), type="topic", durable=True), routing_key=k)
                    for s, k in BINDINGS]
        queue = kombu.Queue(name, bindings=bindings, exclusive=True, auto_delete=True, durable=False)
        with kombu.Connection(self.uri, connect_timeout=5, heartbeat=10) as connection:
            with kombu.Consumer(connection, [queue], callbacks=[self._on_message], accept=["json"]):
                self.on_lost()          # whatever was remembered before this queue existed is forgotten
                self.ready.set()
                while not self.stopped.is_set():
                    try:
                        connection.drain_events(timeout=1)
                    except socket.timeout:
                        connection.heartbeat_check()

    def _on_message(self, body, message):
        try:
            self.on_event(message.delivery_info.get("routing_key"), body if isinstance(body, dict) else {})
        except Exception:
            log.exception("cache events: could not apply %s", message.delivery_info.get("routing_key"))
            self.on_lost()
        message.ack()

    def stop(self):
        self.stopped.set()


class Caches:
    def __init__(self, uri=None):
        self.uri = uri
        self.enabled = config.env("ORTAK_GATEWAY_CACHE", "1") != "0"
        self.actors = Expiring(int(config.env("ORTAK_AUTH_CACHE_SIZE", "10000")),
                               float(config.env("ORTAK_AUTH_CACHE_TTL", "30")))
        self.reads = Expiring(int(config.env("ORTAK_READ_CACHE_SIZE", "256")),
                              float(config.env("ORTAK_READ_CACHE_TTL", "300")),
                              max_bytes=int(config.env("ORTAK_READ_CACHE_BYTES", str(16 * 1024 * 1024))))
        self.flights = Flights(config.rpc_timeout())   # a waiter waits no longer than the fetch may take
        self.listener = None
        self.lock = threading.Lock()

    # -- the listener ----------------------------------------------------------------------------
    def live(self):
        """True when this process's event queue is consuming (started here on first use)."""
        if not self.enabled:
            return False
        listener = self.listener
        if listener is None or listener.pid != os.getpid():   # never started, or inherited by a fork
            with self.lock:
                if self.listener is None or self.listener.pid != os.getpid():
                    self.actors.clear()
                    self.reads.clear()
                    self.listener = Listener(self.uri or config.amqp_uri(), self.apply, self.forget)
            return False
        return listener.ready.is_set()

    def forget(self):
        self.actors.clear()
        self.reads.clear()

    def apply(self, event_type, envelope):
        payload = envelope.get("payload") or {}
        if event_type == ev.TOKEN_REVOKED:
            self.actors.drop(("token", payload.get("token_id")))
        elif event_type in (ev.SESSION_ENDED, ev.PERSON_DISABLED):
            self.actors.drop(("person", payload.get("person_id")))
        # the plans whose objectives this one counts too show where they also count
        plan = payload.get("plan")
        for other in (plan.get("counts_from") or []) if isinstance(plan, dict) else []:
            self.reads.drop(("plan", other))
        if envelope.get("plan_id"):
            tag = ("plan", envelope["plan_id"])
            self.reads.drop(tag)
            if event_type == ev.INPUT_DECIDED:
                # the registry records the decision on the plan as it handles this very event: a read
                # meanwhile may still show the plan without it, so it is forgotten once more
                timer = threading.Timer(PROVENANCE_SETTLES, self.reads.drop, (tag,))
                timer.daemon = True
                timer.start()

    def stop(self):
        if self.listener is not None:
            self.listener.stop()

    # -- actors ----------------------------------------------------------------------------------
    def actor(self, kind, secret, fetch):
        """The actor of a token or session: remembered, or ``fetch()``-ed (and remembered if one)."""
        if not self.live():
            return fetch()
        key = digest(kind, secret)
        found = self.actors.get(key)
        if found is not None:
            return found
        stamp = self.actors.stamp([ANY])   # the tag is known only after the fetch: any invalidation wins
        actor = fetch()
        if actor:
            tag = ("token", actor["token_id"]) if actor.get("token_id") else ("person", actor.get("person_id"))
            self.actors.put(key, actor, [tag], stamp, stamped=[ANY])
        return actor

    def forget_actor(self, kind=None, secret=None, tag=None):
        """This process forgets at once (the event tells the other processes)."""
        if secret is not None:
            self.actors.discard(digest(kind, secret))
        if tag is not None:
            self.actors.drop(tag)

    # -- reads -----------------------------------------------------------------------------------
    def read(self, key):
        return self.reads.get(key) if self.live() else None

    def read_stamp(self, plan_id):
        return self.reads.stamp([("plan", plan_id)])

    def keep(self, key, plan_id, stamp, payload, size):
        if self.live():
            self.reads.put(key, payload, [("plan", plan_id)], stamp, size=size)

