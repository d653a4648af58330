"""The benchmark table: each figure, its baseline from the same run, the ratio, and the target
it is held to, saying plainly when a target is missed."""
import datetime

from .load import percentile


class Report:
    def __init__(self, command, machine):
        self.command, self.machine = command, machine
        self.rows = []        # (what, figure, baseline, ratio, target, met)

    def add(self, what, figure, base="", ratio="", target="", met=None):
        self.rows.append((what, figure, base, ratio, target, "" if met is None else ("met" if met else "MISSED")))

    def ingest(self, rate, store_rate, broker_rate, total, batch, everything, processes=1):
        """``rate``: until the periods read show every reading; ``everything``: seconds until every
        period is figured, those nobody read too."""
        self.add(f"ingest, {total:,} readings in batches of {batch:,}, approved, end to end"
                 + (f", {processes} monitoring processes" if processes > 1 else ""),
                 f"{rate:,.0f} readings/s", f"store bulk insert {store_rate:,.0f}/s", f"{rate / store_rate:.2f}",
                 ">= 0.5 of the store's rate", rate >= 0.5 * store_rate)
        self.add("ingest, until every period of the plan is figured (those nobody read too)",
                 f"{total / everything:,.0f} readings/s", "", f"{total / everything / store_rate:.2f}")
        if processes == 1:
            self.add("", "", f"broker publish+consume {broker_rate:,.0f}/s", f"{rate / broker_rate:.2f}")

    def approvals(self, times, count):
        self.add(f"approval of {count:,} readings (the ingest's, one district's half-year each), p50",
                 f"{percentile(times, 50):.0f} ms")
        self.add("approval, slowest", f"{max(times):.0f} ms")

    def bulk_approval(self, count, took, status, applied, approved):
        """Met when it answers in under 2 s: approved (200), or recorded with its status URL (202)."""
        self.add(f"approval of {count:,} readings of one district's half-year in one request, answered {status}",
                 f"{took:.0f} ms", target="< 2 s", met=took < 2000 and status in (200, 202))
        self.add(f"approval of {count:,} readings, until its {approved or 0:,} readings are approved",
                 f"{applied:.0f} ms")

    def not_modified(self, what, measured, bare):
        ratio = measured["p50"] / bare["p50"]
        self.add(f"{what}, 16 clients, p50 ({measured['requests']:,} requests)", f"{measured['p50']:.1f} ms",
                 f"bare endpoint {bare['p50']:.1f} ms", f"{ratio:.2f}", "<= 1.2x the bare endpoint",
                 ratio <= 1.2 and measured["errors"] == 0)

    def latency(self, what, measured, bare, p50_most=1.5):
        """Missed also when any answer was not a 200: the p50 row says how many."""
        erred = "".join(f", {n:,} answered {status}" for status, n in sorted(measured.get("statuses", {}).items()))
        for p, most in (("p50", p50_most), ("p99", 3.0)):
            ratio = measured[p] / bare[p]
            self.add(f"{what}, 16 clients, {p}" + (f" ({measured['requests']:,} requests{erred})" if p == "p50" else ""),
                     f"{measured[p]:.1f} ms", f"bare RPC {bare[p]:.1f} ms", f"{ratio:.2f}", f"<= {most}x bare RPC",
                     ratio <= most and measured["errors"] == 0)

    def page(self, what, measured, clients):
        """A public web page's server time (the gateway renders it from its RPC reads)."""
        self.add(f"{what}, {clients} clients, p50 ({measured['requests']:,} requests)", f"{measured['p50']:.1f} ms",
                 target="< 150 ms", met=measured["p50"] < 150 and measured["errors"] == 0)
        self.add(f"{what}, {clients} clients, p99", f"{measured['p99']:.1f} ms")

    def intake(self, measured, bare, rate):
        """Open311 filings held at ``rate`` a second: every one answered, and each as quickly as a
        bare RPC at the same rate allows."""
        self.add(f"Open311 intake at {rate}/s for {measured['seconds']:.0f} s, answered ({measured['requests']:,} "
                 f"requests, {measured['errors']} errors)", f"{measured['rate']:.1f}/s", "", "",
                 f">= {rate}/s, no error", measured["rate"] >= 0.98 * rate and measured["errors"] == 0)
        for p, most in (("p50", 3.0), ("p99", 5.0)):
            ratio = measured[p] / bare[p]
            self.add(f"Open311 intake at {rate}/s, {p}", f"{measured[p]:.1f} ms", f"bare RPC at {rate}/s {bare[p]:.1f} ms",
                     f"{ratio:.2f}", f"<= {most}x bare RPC", ratio <= most)

    def propagation(self, measured, processes=1):
        on = f", {processes} monitoring processes" if processes > 1 else ""
        self.add(f"propagation, approval to progress{on}, p50 ({measured['samples']} approvals)",
                 f"{measured['p50']:.0f} ms")
        self.add(f"propagation{on}, p99", f"{measured['p99']:.0f} ms", target="< 250 ms",
                 met=measured["p99"] < 250)

    def resources(self, memory, store_mib, when, busy=None, busy_when="as the runs ended, still at work"):
        """``busy``: the same processes measured before they finished their work, shown beside."""
        for name, mib in memory.items():
            if busy and name in busy:
                self.add(f"resident memory of {name} ({busy_when})", f"{busy[name]:.0f} MB")
            self.add(f"resident memory of {name} ({when})", f"{mib:.0f} MB", target="< 200 MB", met=mib < 200)
        self.add(f"store size ({when})", f"{store_mib:.0f} MB")

    def national(self, found):
        self.add(f"national: ingest of {found['readings']:,} readings ({found['regions']} regions, "
                 f"{found['districts']} districts)", f"{found['ingest_seconds']:.0f} s",
                 f"{found['readings'] / found['ingest_seconds']:,.0f} readings/s")
        by_size = found["progress_by_size"]
        smallest, largest = min(by_size), max(by_size)
        for districts in sorted(by_size):
            timing = by_size[districts]
            flat = timing["p50"] / by_size[smallest]["p50"]
            self.add(f"national: progress of a {districts}-district region, p50 / p99",
                     f"{timing['p50']:.1f} / {timing['p99']:.1f} ms", f"{smallest} districts", f"{flat:.2f}",
                     "< 50 ms p50" if districts == largest else "", timing["p50"] < 50 if districts == largest else None)
        self.add(f"national: full recompute of the {largest}-district region", f"{found['recompute_seconds']:.1f} s",
                 target="< 60 s", met=found["recompute_seconds"] < 60)
        self.resources(found["memory"], found["store_mib"], "national scale, once idle", found["busy"],
                       "national scale, as the recompute ended")

    def table(self):
        header = ("what", "figure", "baseline (same run)", "ratio", "target", "")
        widths = [max(len(str(r[i])) for r in [header, *self.rows]) for i in range(6)]
        lines = [" | ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in [header, *self.rows]]
        lines.insert(1, "-+-".join("-" * w for w in widths))
        return "\n".join(lines)

    def write(self, path):
        """The figures are replaced; the hand-written notes from "## Notes" on are kept."""
        try:
            with open(path) as f:
                kept = f.read()
            kept = kept[kept.index("## Notes"):].rstrip("\n").split("\n")
        except (OSError, ValueError):
            kept = []
        m = self.machine
        missed = [r[0] or "(row above)" for r in self.rows if r[5] == "MISSED"]
        text = [
            "# Benchmarks", "",
            f"Produced by `{self.command}` on {datetime.date.today().isoformat()}; machine: {m['cores']} cores, "
            f"{m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}. Every ratio is to a baseline measured "
            "in the same run on the same machine (absolute times drift on shared machines).", "",
            "| what | figure | baseline (same run) | ratio | target | |", "|---|---|---|---|---|---|",
            *("| " + " | ".join(str(c) for c in row) + " |" for row in self.rows), "",
            "Missed targets: " + ("; ".join(missed) if missed else "none") + ".", "",
            *kept,
        ]
        with open(path, "w") as f:
            f.write("\n".join(text) + "\n")
