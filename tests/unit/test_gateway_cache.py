"""The gateway's per-process cache: bounded, expiring, and never storing an answer fetched across
an invalidation of what it is about."""
import time

from services.gateway.cache import ANY, Caches, Expiring


def test_an_answer_fetched_across_an_invalidation_is_not_kept():
    cache = Expiring(10, 60)
    stamp = cache.stamp([("plan", "a")])
    cache.drop(("plan", "a"))                       # the event arrived while the RPC was under way
    assert not cache.put("k", "old", [("plan", "a")], stamp)
    stamp = cache.stamp([("plan", "a")])
    cache.drop(("plan", "b"))                       # another plan's event does not matter
    assert cache.put("k", "new", [("plan", "a")], stamp) and cache.get("k") == "new"
    cache.drop(("plan", "a"))
    assert cache.get("k") is None


def test_an_actor_fetched_across_any_revocation_is_not_kept():
    cache = Expiring(10, 60)
    stamp = cache.stamp([ANY])                      # the token's id is known only after the fetch
    cache.drop(("token", "tok_1"))
    assert not cache.put("secret-hash", {"token_id": "tok_1"}, [("token", "tok_1")], stamp, stamped=[ANY])
    stamp = cache.stamp([ANY])
    cache.discard("another")
    assert not cache.put("secret-hash", {"token_id": "tok_1"}, [("token", "tok_1")], stamp, stamped=[ANY])


def test_bounded_by_entries_bytes_and_time():
    cache = Expiring(3, 0.05, max_bytes=1000)
    for n in range(5):
        cache.put(n, n, [("p", n)], cache.stamp([("p", n)]), size=10)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == 4
    assert not cache.put("big", 1, [("p", 9)], cache.stamp([("p", 9)]), size=300)   # over a quarter
    time.sleep(0.06)
    assert cache.get(4) is None


def test_a_process_not_listening_trusts_nothing(monkeypatch):
    monkeypatch.setenv("ORTAK_GATEWAY_CACHE", "0")
    caches = Caches()
    calls = []
    assert caches.actor("token", "t", lambda: calls.append(1) or {"token_id": "x"}) == {"token_id": "x"}
    assert caches.actor("token", "t", lambda: calls.append(1) or {"token_id": "x"}) == {"token_id": "x"}
    assert len(calls) == 2 and caches.read(("plan", "p")) is None


def test_clients_missing_the_same_read_at_once_wait_for_one_fetch():
    import threading
    from services.gateway.cache import Flights
    flights, kept, fetches, started = Flights(wait=5), {}, [], threading.Barrier(8)

    def client(keeps):
        started.wait()
        with flights.first("plan a") as first:
            found = None if first else kept.get("plan a")
            if found is None:
                fetches.append(1)
                time.sleep(0.2)   # the service answering a big read
                if keeps:
                    kept["plan a"] = "answer"

    def run(keeps):
        threads = [threading.Thread(target=client, args=(keeps,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    run(keeps=True)
    assert len(fetches) == 1 and flights.flying == {}
    # an answer that could not be kept: the others fetch it themselves once the first is done
    fetches.clear(), kept.clear()
    run(keeps=False)
    assert len(fetches) == 8 and flights.flying == {}
