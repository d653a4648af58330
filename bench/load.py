"""Latency under concurrent clients, each a process of its own so the load generator's GIL does
not queue the requests it times."""
import collections
import multiprocessing
import time

import requests


def _client(url, headers, seconds, expect, out):
    session = requests.Session()
    session.headers.update(headers)
    times, errors = [], collections.Counter()   # status -> how many answers other than ``expect``
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = session.get(url, timeout=30, stream=True)
        response.raw.read(decode_content=False)   # every byte as sent: the clients' decoding is not the server's time
        response.raw.release_conn()   # kept alive for the next request, as before
        times.append(time.perf_counter() - started)
        if response.status_code != expect:
            errors[response.status_code] += 1
    out.put((times, errors))


def _in_processes(target, args, clients):
    """``target(*args, out)`` in ``clients`` processes at once; what each put on ``out``."""
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=target, args=(*args, out)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    return results


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(url, headers=None, clients=16, seconds=30, expect=200):
    """{"p50", "p99" (milliseconds), "requests", "errors": answers other than ``expect``, "statuses":
    {their status: how many}} for GET url."""
    requests.get(url, headers=headers or {}, timeout=30).raise_for_status()   # warm, and fail early
    results = _in_processes(_client, (url, headers or {}, seconds, expect), clients)
    times = [t for chunk, _ in results for t in chunk]
    statuses = sum((errors for _, errors in results), collections.Counter())
    return {"p50": percentile(times, 50) * 1000, "p99": percentile(times, 99) * 1000, "requests": len(times),
            "errors": sum(statuses.values()), "statuses": dict(statuses)}


def _paced_client(url, method, data, headers, interval, seconds, out):
    """Sends one request every ``interval`` seconds on a fixed schedule (a late answer does not push
    the next send back: the load stays what was asked, as citizens' requests arrive)."""
    session = requests.Session()
    session.headers.update(headers)
    times, errors, sent = [], 0, 0
    start = time.perf_counter()
    while True:
        due = start + sent * interval
        if due - start >= seconds:
            break
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        began = time.perf_counter()
        response = session.request(method, url, data=data, timeout=30)
        times.append(time.perf_counter() - began)
        errors += response.status_code not in (200, 201)
        sent += 1
    out.put((times, errors, time.perf_counter() - start))


def paced(url, rate, seconds, method="GET", data=None, headers=None, clients=8):
    """{"rate" (answered requests a second over the whole run), "p50", "p99" (ms), "requests",
    "errors", "seconds"} for ``rate`` requests a second held for ``seconds``, from ``clients``
    processes, each sending ``data`` (a form) with its requests."""
    results = _in_processes(_paced_client, (url, method, data, headers or {}, clients / rate, seconds), clients)
    times = [t for chunk, _, _ in results for t in chunk]
    errors = sum(e for _, e, _ in results)
    elapsed = max(s for _, _, s in results)
    return {"rate": (len(times) - errors) / elapsed, "p50": percentile(times, 50) * 1000,
            "p99": percentile(times, 99) * 1000, "requests": len(times), "errors": errors, "seconds": elapsed}
