"""Ortak's benchmarks: every figure next to a baseline measured in the same run on this machine.

    python -m bench.run            # quick (make bench): a few minutes
    python -m bench.run --full     # make bench-full: 100,000 readings, 30 s loads, national scale

Starts its own stack (embedded store on a free port, a vhost of its own on the broker), prints a
table and writes docs/benchmarks.md.
"""
import argparse
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
import traceback

import orjson
from nameko.standalone.rpc import ClusterRpcProxy

from ops import broker
from ops.client import ApiError, Client, token_maker
from ops.demo import korfez, synthetic
from ops.demo.readings import publish
from ops.processes import Child, free_port, wait_until
from ops.stack import ROOT, Stack, bin_path
from shared import config

from . import baseline, load, national
from .load import percentile
from .report import Report

ADMIN_TOKEN = "ortak_bench_admin_" + secrets.token_urlsafe(12)
QUICK = {"districts": 5, "indicators": 1000, "halves": 2, "seconds": 10, "propagations": 40}
BULK = 10_000   # readings in one approval: as many as one request may submit (API.md)
FULL = {"districts": 10, "indicators": 1000, "halves": 10, "seconds": 30, "propagations": 200}


def machine():
    with open("/proc/meminfo") as f:
        total_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return {"cores": os.cpu_count(), "memory_gib": round(total_kb / 1024 / 1024, 1),
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version()}


def last_periods():
    """The plan's last half-year and its last year, figured after it: once both count an approval,
    every later period does."""
    return synthetic.half_years()[-1], synthetic.YEARS[-1]


def settled(client, plan_id, period, check, timeout=600):
    def ready():   # read with orjson: a region's figures are 3.7 MB, which json parsed in 25 ms of the run's time
        response = client.request("GET", f"/plans/{plan_id}/progress?period={period}")
        return response.status_code == 200 and check(orjson.loads(response.content))
    wait_until(ready, timeout, interval=0.05, what=f"progress of {period}")


def ingest(stack, token_for, admin, districts, indicators, halves):
    """Readings through the API in batches of `indicators` (one district, one half-year),
    each approved, until the figures of every period count every one of them."""
    prefix = "ing" + secrets.token_hex(2)
    plan_id = synthetic.create(token_for, admin, prefix, districts, indicators)
    coordinator = token_for("coordinator", f"{prefix}-metro")
    # the clock starts once the adoption's figures are stored and what else the adoption set going
    # (the new plan's overdue check, handing its memory back) is done: it times the readings, not the plan
    wait_until(lambda: adoption_figured(stack, plan_id), 300, interval=0.25, what="the adoption's figures")
    quiet(stack)
    periods = synthetic.half_years()[:halves]
    batches = [(n, period, synthetic.readings(prefix, n, indicators, period))
               for period in periods for n in range(1, districts + 1)]
    # written as JSON before the clock starts, as the readings are made: the run times the services,
    # not the client's encoder (json took 2 ms a batch of the run's time, on the cores the services use)
    bodies = [orjson.dumps({"readings": lines}) for _, _, lines in batches]
    planners = {n: token_for("planner", f"{prefix}-d{n}") for n in range(1, districts + 1)}
    started = time.perf_counter()
    approvals = []
    for (n, period, _), body in zip(batches, bodies):   # as a district tool sends them: again after a 503, same key
        sent = planners[n].patiently("POST", f"/plans/{plan_id}/readings", body, f"{prefix}-{n}-{period}")
        asked = time.perf_counter()
        approved = planners[n].patiently("POST", f"/plans/{plan_id}/readings/approve",
                                         {"municipality": f"{prefix}-d{n}", "period": period})
        approvals.append((time.perf_counter() - asked) * 1000)
        if sent.status_code != 202 or approved.status_code != 200:
            raise ApiError(sent if sent.status_code != 202 else approved)
    settled(coordinator, plan_id, f"{periods[-1]}&level=indicators",
            lambda p: len(p["indicators"]) == districts * indicators and all(i["C"] == halves for i in p["indicators"]))
    # and every later period's figures (cumulative indicators: they count these readings too)
    for later in last_periods():
        settled(coordinator, plan_id, f"{later}&level=indicators",
                lambda p: not any(set(i.get("missing_periods", ())) & set(periods) for i in p["indicators"]))
    elapsed = time.perf_counter() - started
    # the periods nobody read are figured once the approvals pause: how long until all are
    wait_until(lambda: not carried(stack, plan_id), 300, interval=0.1, what="every period figured")
    total = districts * indicators * halves
    return (plan_id, prefix, periods[-1], total / elapsed, [lines for _, _, lines in batches], approvals,
            time.perf_counter() - started)


def carried(stack, plan_id):
    """Whether periods of the plan are still left to be figured (monitoring's carries)."""
    import pymongo
    with pymongo.MongoClient(stack.mongodb_uri) as client:
        return bool(list(client[f"{stack.db_prefix}_monitoring"]["figures_carried"].find({"plan_id": {"$eq": plan_id}},
                                                                                       {"_id": 1})))


def adoption_figured(stack, plan_id):
    """Whether monitoring has stored the figures of every period of the newly adopted plan (it
    figures them all when the plan is adopted)."""
    import pymongo
    with pymongo.MongoClient(stack.mongodb_uri) as client:
        # ids read, not counted: the embedded store's count reads the whole collection
        stored = len(list(client[f"{stack.db_prefix}_monitoring"]["progress"].find({"plan_id": {"$eq": plan_id}},
                                                                                  {"_id": 1})))
    return stored == len(synthetic.half_years()) + len(synthetic.YEARS)


def bulk_approval(stack, token_for, admin, indicators):
    """One district's half-year of ``indicators`` readings (as many as a request may carry),
    submitted and approved in one request each, once the plan's adoption is figured: (readings,
    milliseconds the approval took to answer, its status, milliseconds until its readings were
    approved, how many)."""
    prefix = "bulk" + secrets.token_hex(2)
    plan_id = synthetic.create(token_for, admin, prefix, 1, indicators, per_objective=10)   # 1,000 objectives at most
    wait_until(lambda: adoption_figured(stack, plan_id), 300, interval=0.5, what="the adoption's figures")
    planner = token_for("planner", f"{prefix}-d1")
    period = synthetic.half_years()[0]
    planner.patiently("POST", f"/plans/{plan_id}/readings",
                      {"readings": synthetic.readings(prefix, 1, indicators, period)}, f"{prefix}-bulk")
    quiet(stack)   # the adoption's overdue alerts of 10,000 indicators may still be on their way
    started = time.perf_counter()
    answer = planner.request("POST", f"/plans/{plan_id}/readings/approve",
                             json={"municipality": f"{prefix}-d1", "period": period})
    took = (time.perf_counter() - started) * 1000
    status = answer.json()
    if answer.status_code == 202:   # as the command line and the web do: follow it until applied
        path = answer.headers["Location"].removeprefix("/api/v1")
        wait_until(lambda: planner.get(path)["status"] == "applied", 600, interval=0.1, what="the bulk approval")
        status = planner.get(path)
    applied = (time.perf_counter() - started) * 1000
    # its figures in every later period (the indicators are cumulative), before memory is measured
    for later in last_periods():
        settled(planner, plan_id, f"{later}&level=indicators&municipality={prefix}-d1",
                lambda p: not any(period in i.get("missing_periods", ()) for i in p["indicators"]))
    return indicators, took, answer.status_code, applied, status.get("approved")


def web_pages(admin, token_for):
    """The public pages of a published Körfez plan (36 indicators, three half-years of figures)."""
    plan_id = "korfez-bench"
    for mid, body in korfez.MUNICIPALITIES.items():   # the region first: its coordinator's token names it
        admin.put(f"/municipalities/{mid}", body)
    publish(admin, token_for("coordinator", korfez.COORDINATOR), plan_id, wait_until, municipalities=False)
    return [("page / (plans and consultations)", "/"),
            ("page /plans/{id} (Körfez, 36 indicators)", f"/plans/{plan_id}"),
            ("page /plans/{id}/municipalities/{mid}", f"/plans/{plan_id}/municipalities/edremit")]


INTAKE_RATE, INTAKE_SECONDS = 100, 60


FORM = {"jurisdiction_id": "bench-yunus", "service_code": "CUKUR", "lat": "38.61", "long": "27.42",
        "description": "Asfaltta çukur", "filed_by": "muhtar"}


def intake(stack, admin, token_for, bare_url):
    """Service requests filed over Open311 (form-encoded, a muhtar's api_key) at a steady rate for
    a minute, against the bare RPC endpoint at the same rate."""
    admin.put("/municipalities/bench-manisa", {"name": {"tr": "Manisa"}, "kind": "metropolitan", "parent": None,
                                               "locale": "tr", "calendar": "gregorian"})
    admin.put("/municipalities/bench-yunus", {"name": {"tr": "Yunusemre"}, "kind": "district",
                                              "parent": "bench-manisa", "locale": "tr", "calendar": "gregorian"})
    token_for("coordinator", "bench-manisa").put("/municipalities/bench-yunus/services/CUKUR", {
        "name": {"tr": "Yol çukuru"}, "target_days": 7, "responsible_unit": "Fen İşleri Müdürlüğü"})
    api_key = token_for("planner", "bench-yunus").session.headers["Authorization"].split()[1]
    url = stack.url + "/open311/v2/requests.json"
    form = dict(FORM, api_key=api_key)
    import requests
    requests.post(url, data=form, timeout=30).raise_for_status()   # warm, and fail early
    bare = load.paced(bare_url, INTAKE_RATE, INTAKE_SECONDS)
    measured = load.paced(url, INTAKE_RATE, INTAKE_SECONDS, method="POST", data=form)
    return measured, bare


def propagation(token_for, admin, samples):
    """Milliseconds from sending an approval to the progress figure showing it."""
    prefix = "prop" + secrets.token_hex(2)
    indicators = 50
    plan_id = synthetic.create(token_for, admin, prefix, 1, indicators)
    planner, public = token_for("planner", f"{prefix}-d1"), token_for("viewer")
    settled(public, plan_id, str(synthetic.START), lambda p: True, timeout=60)
    times = []
    for i in range(samples):
        period = synthetic.half_years()[i // indicators]
        code = f"D1.{i % indicators + 1}"
        planner.post(f"/plans/{plan_id}/readings", {"readings": [
            {"indicator": code, "municipality": f"{prefix}-d1", "period": period, "value": 1}]}, expect=202)
        started = time.perf_counter()
        planner.post(f"/plans/{plan_id}/readings/approve", {"municipality": f"{prefix}-d1", "period": period})
        settled(public, plan_id, period,
                lambda p: next(x for x in p["indicators"] if x["code"] == code)["C"] is not None, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "samples": len(times)}


def bare_rpc_endpoint(stack, workdir):
    """The no-op service and the bare gunicorn endpoint in front of it, on the same broker."""
    env = dict(stack.env(), PORT=str(free_port()))
    service = Child("bench_noop", [bin_path("nameko"), "run", "--config", os.path.join(ROOT, "deploy/nameko.yml"),
                                   "bench.noop:Noop"], env=env, log_path=os.path.join(workdir, "noop.log"),
                    cwd=ROOT).start()
    gateway = Child("bench_bare", [bin_path("gunicorn"), "-c", os.path.join(ROOT, "deploy/gunicorn.conf.py"),
                                   "bench.bare:app"], env=env, log_path=os.path.join(workdir, "bare.log"),
                    cwd=ROOT).start()
    url = f"http://127.0.0.1:{env['PORT']}/noop"

    def answers():
        import requests
        return requests.get(url, timeout=5).status_code == 200
    wait_until(answers, 60, interval=0.25, what="the bare endpoint")
    return url, [gateway, service]


def recompute_seconds(stack, plan_id):
    started = time.perf_counter()
    with ClusterRpcProxy({**config.nameko_config(), "AMQP_URI": stack.amqp_uri}, timeout=3600) as rpc:
        rpc.monitoring.recompute(plan_id)
    return time.perf_counter() - started


def _status_kib(pid, path, field):
    with open(f"/proc/{pid}/{path}") as f:
        return int(next(line for line in f if line.startswith(field)).split()[1])


def process_tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    return [pid, *(p for child in children for p in process_tree(child))]


def resident_mib(pid):
    """Resident memory of a process; of a process and its children (a gunicorn master and its
    workers) the sum of their proportional set sizes, so pages they share are counted once."""
    tree = process_tree(pid)
    try:
        if len(tree) == 1:
            return _status_kib(pid, "status", "VmRSS") / 1024
        return sum(_status_kib(p, "smaps_rollup", "Pss:") for p in tree) / 1024
    except (OSError, StopIteration):
        return 0


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def quiet(stack, seconds=3, timeout=180):
    """Wait until no service process has used more than 5% of a core for ``seconds`` in a row: what
    is measured after the runs is what the processes keep, not the work they are still finishing
    (the alerts of 10,000 indicators, say)."""
    pids = {child.pid for _, child in stack.children() if child.alive()} | set(process_tree(stack.gateway.pid))
    started = time.perf_counter()
    calm = 0
    before = [cpu_seconds(p) for p in pids]
    while calm < seconds and time.perf_counter() - started < timeout:
        time.sleep(1)
        now = [cpu_seconds(p) for p in pids]
        calm = calm + 1 if max(b - a for a, b in zip(before, now)) < 0.05 else 0
        before = now
    print(f"  waited {time.perf_counter() - started:.0f} s for the services to be idle")


def memory(stack):
    found = {name: resident_mib(child.pid) for name, child in stack.services.items()}
    workers = len(process_tree(stack.gateway.pid)) - 1
    found[f"gateway (its master and {workers} workers, shared pages counted once)"] = resident_mib(stack.gateway.pid)
    return found


def store_mib(stack):
    path = os.path.join(stack.var_dir, "store")
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files) / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full run, national scale included")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    args = parser.parse_args(argv)
    size = FULL if args.full else QUICK
    command = "make bench-full" if args.full else "make bench"
    report = Report(command, machine())
    workdir = tempfile.mkdtemp(prefix="ortak-bench-")
    base_uri = config.amqp_uri()
    started_broker = broker.ensure(base_uri)
    vhost = f"ortak-bench-{secrets.token_hex(3)}"
    amqp_uri = broker.add_vhost(base_uri, vhost) or base_uri
    stack = Stack(workdir, port=free_port(), amqp_uri=amqp_uri, store_port=free_port(), db_prefix="bench",
                  admin_token=ADMIN_TOKEN, env={"GATEWAY_ACCESS_LOG": os.path.join(workdir, "access.log")},
                  log=lambda message: print(f"  {message}"))
    extras = []
    started, failure = time.perf_counter(), None
    try:
        stack.start()
        admin = Client(stack.url, ADMIN_TOKEN)
        token_for = token_maker(stack.url, admin)

        print(f"ingest: {size['districts'] * size['indicators'] * size['halves']:,} readings ...")
        plan_id, prefix, last, rate, batches, approvals, everything = ingest(
            stack, token_for, admin, size["districts"], size["indicators"], size["halves"])
        quiet(stack)   # the periods nobody read are figured after (carries): not while the baselines run
        store_rate = baseline.store_bulk_insert(stack.mongodb_uri, batches)
        broker_rate = baseline.broker_round_trip(amqp_uri, batches)
        report.ingest(rate, store_rate, broker_rate, sum(len(b) for b in batches), len(batches[0]), everything)
        report.approvals(approvals, len(batches[0]))

        print(f"latency: {size['seconds']} s at 16 clients each ...")
        bare_url, extras = bare_rpc_endpoint(stack, workdir)
        bare = load.measure(bare_url, seconds=size["seconds"])
        viewer = token_for("viewer")
        auth = dict(viewer.session.headers)
        district = f"/plans/{plan_id}/progress?period={last}&municipality={prefix}-d1&level=indicators"
        for name, path, headers, most in [
                ("GET /plans/{id}/progress (public)", f"/plans/{plan_id}/progress?period={last}", {}, 1.5),
                ("GET /plans/{id} (public)", f"/plans/{plan_id}", {}, 1.5),
                ("GET /plans/{id}/progress (token)", f"/plans/{plan_id}/progress?period={last}", auth, 1.5),
                ("GET /plans/{id}/progress, one district's indicators (token)", district, auth, 2.0)]:
            report.latency(name, load.measure(stack.url + "/api/v1" + path, headers, seconds=size["seconds"]), bare,
                           most)
        url = stack.url + f"/api/v1/plans/{plan_id}/progress?period={last}"
        import requests
        etag = requests.get(url, timeout=30).headers["ETag"]
        report.not_modified("GET /plans/{id}/progress with its ETag (304)",
                            load.measure(url, {"If-None-Match": etag}, seconds=size["seconds"], expect=304), bare)

        print(f"Open311 intake: {INTAKE_RATE}/s for {INTAKE_SECONDS} s, and the bare RPC at that rate ...")
        measured, bare_paced = intake(stack, admin, token_for, bare_url)
        report.intake(measured, bare_paced, INTAKE_RATE)

        print(f"web pages: {size['seconds']} s at 8 clients each ...")
        for name, path in web_pages(admin, token_for):
            report.page(name, load.measure(stack.url + path, {"Accept-Language": "tr"}, clients=8,
                                           seconds=size["seconds"]), 8)

        print(f"propagation: {size['propagations']} approvals ...")
        # each propagation starts from idle services: the ingest before the second one leaves its
        # last roll-ups to write for a second or two after its figures show
        quiet(stack)
        report.propagation(propagation(token_for, admin, size["propagations"]))
        print("two monitoring processes: ingest and propagation ...")
        stack.add_replica("monitoring")
        stack.wait_ready()
        _, _, _, rate_two, _, _, everything_two = ingest(stack, token_for, admin, size["districts"],
                                                         size["indicators"], size["halves"])
        report.ingest(rate_two, store_rate, broker_rate, sum(len(b) for b in batches), len(batches[0]),
                      everything_two, processes=2)
        quiet(stack)
        report.propagation(propagation(token_for, admin, size["propagations"]), processes=2)
        stack.remove_replica("monitoring")
        print(f"bulk approval: {BULK:,} readings of one district ...")   # last: its figures take a while
        report.bulk_approval(*bulk_approval(stack, token_for, admin, BULK))
        busy = memory(stack)   # as the runs end, some work still under way
        quiet(stack)
        report.resources(memory(stack), store_mib(stack), "after the runs above, once idle", busy)

        if args.full:
            print("national scale ...")
            report.national(national.run(stack, token_for, admin, recompute_seconds, memory, store_mib, quiet))
    except Exception as exc:   # what was measured is still written, with where the run stopped
        failure = exc
        traceback.print_exc()
    finally:
        for child in extras:
            child.stop()
        stack.stop()
        if amqp_uri != base_uri:
            broker.delete_vhost(vhost)
        if started_broker:
            broker.stop_started()
        shutil.rmtree(workdir, ignore_errors=True)
    if failure is not None:
        report.add(f"the run stopped: {type(failure).__name__}: {failure}"[:300], "", met=False)
    minutes = (time.perf_counter() - started) / 60
    report.add(f"{command}, the whole run", f"{minutes:.0f} min", target="< 30 min" if args.full else "",
               met=(minutes < 30 and failure is None) if args.full else None)
    print(report.table())
    report.write(args.out)
    print(f"written to {os.path.relpath(args.out, ROOT)}")
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
