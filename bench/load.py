"""Latency under concurrent clients, each a process of its own so the load generator's GIL does
not queue the requests it times."""
import multiprocessing
import time

import requests


def _client(url, headers, seconds, out):
    session = requests.Session()
    session.headers.update(headers)
    times, errors = [], 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append(time.perf_counter() - started)
        errors += response.status_code != 200
    out.put((times, errors))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(url, headers=None, clients=16, seconds=30):
    """{"p50", "p99" (milliseconds), "requests", "errors"} for GET url."""
    requests.get(url, headers=headers or {}, timeout=30).raise_for_status()   # warm, and fail early
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_client, args=(url, headers or {}, seconds, out))
               for _ in range(clients)]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    times = [t for chunk, _ in results for t in chunk]
    return {"p50": percentile(times, 50) * 1000, "p99": percentile(times, 99) * 1000, "requests": len(times),
            "errors": sum(errors for _, errors in results)}
