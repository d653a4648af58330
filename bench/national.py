"""National scale: 30 metropolitan regions with 519 districts, 100 indicators a district, ten
half-years of approved readings; the progress query by region size, a full recompute, memory."""
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from ops.client import ApiError
from ops.demo import synthetic
from ops.processes import wait_until

from .load import percentile

SIZES = [39, 20, 10, 5, 20] + [17] * 25          # 30 regions, 519 districts; Turkey's largest has 39
INDICATORS = 100
QUERIES = 300


def _region(token_for, admin, number, districts):
    prefix = f"nat{number}x{secrets.token_hex(2)}"
    return prefix, districts, synthetic.create(token_for, admin, prefix, districts, INDICATORS)


def _ingest(token_for, region):
    prefix, districts, plan_id = region
    planners = {n: token_for("planner", f"{prefix}-d{n}") for n in range(1, districts + 1)}
    for period in synthetic.half_years():
        for n, planner in planners.items():   # as a district tool sends them: again after a dropped connection
            lines = synthetic.readings(prefix, n, INDICATORS, period)
            sent = planner.patiently("POST", f"/plans/{plan_id}/readings", {"readings": lines}, f"{prefix}-{n}-{period}")
            approved = planner.patiently("POST", f"/plans/{plan_id}/readings/approve",
                                         {"municipality": f"{prefix}-d{n}", "period": period})
            if sent.status_code != 202 or approved.status_code != 200:
                raise ApiError(sent if sent.status_code != 202 else approved)


def _counted(client, region):
    _, districts, plan_id = region
    response = client.request("GET", f"/plans/{plan_id}/progress?period={synthetic.END}-H2&level=indicators")
    if response.status_code != 200:
        return False
    indicators = response.json()["indicators"]
    return len(indicators) == districts * INDICATORS and all(i["C"] == 10 for i in indicators)


def _query_times(client, plan_id):
    times = []
    for _ in range(QUERIES):
        started = time.perf_counter()
        client.request("GET", f"/plans/{plan_id}/progress?period={synthetic.END}-H2", expect=200)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 50), "p99": percentile(times, 99)}


def run(stack, token_for, admin, recompute_seconds, memory, store_mib, quiet):
    with ThreadPoolExecutor(4) as pool:
        regions = list(pool.map(lambda args: _region(token_for, admin, *args), enumerate(SIZES)))
    viewer = token_for("viewer")
    for region in regions:
        wait_until(lambda: viewer.request("GET", f"/plans/{region[2]}/progress?period={synthetic.START}").status_code
                   == 200,
                   120, what="monitoring has every region")
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda region: _ingest(token_for, region), regions))
    for region in regions:
        wait_until(lambda: _counted(viewer, region), 1800, interval=0.5, what=f"region {region[0]} counted")
    ingest_seconds = time.perf_counter() - started
    by_size = {}
    for region in regions:
        if region[1] not in by_size:
            by_size[region[1]] = _query_times(viewer, region[2])
    largest = max(regions, key=lambda r: r[1])
    recompute = recompute_seconds(stack, largest[2])
    busy = memory(stack)   # right after the recompute, as after the quick runs: at work, then once idle
    quiet(stack)
    return {"regions": len(regions), "districts": sum(SIZES), "readings": sum(SIZES) * INDICATORS * 10,
            "ingest_seconds": ingest_seconds, "progress_by_size": by_size, "recompute_seconds": recompute,
            "busy": busy, "memory": memory(stack), "store_mib": store_mib(stack)}
