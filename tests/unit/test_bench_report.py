"""The benchmark report says plainly when a target is missed, and keeps the hand-written notes."""
from bench.load import percentile
from bench.report import Report


def test_percentiles_of_a_known_list():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (51, 99, 100)


def test_a_missed_target_is_named_and_notes_survive_a_rewrite(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nold figures\n\n## Notes\n\nWhy ingest is slow.\n")
    report = Report("make bench", {"cores": 2, "memory_gib": 24.0, "cpu": "x86_64", "python": "3.11.7"})
    report.ingest(rate=1000, store_rate=4000, broker_rate=2000, total=20_000, batch=1_000, everything=40.0)
    report.latency("GET /plans/{id}", {"p50": 3.0, "p99": 9.0, "requests": 100, "errors": 0},
                   {"p50": 2.5, "p99": 5.0})
    report.write(out)
    text = out.read_text()
    assert "| 0.25 | >= 0.5 of the store's rate | MISSED |" in text
    assert "| ingest, until every period of the plan is figured (those nobody read too) | 500 readings/s |  | 0.12 |" in text
    assert "| 1.20 | <= 1.5x bare RPC | met |" in text and "| 1.80 | <= 3.0x bare RPC | met |" in text
    assert "Missed targets: ingest, 20,000 readings in batches of 1,000, approved, end to end." in text
    assert text.endswith("## Notes\n\nWhy ingest is slow.\n") and "old figures" not in text
    assert "2 cores, 24.0 GiB" in text


def test_a_read_with_answers_other_than_200_is_missed_and_says_which_and_how_many(tmp_path):
    report = Report("make bench", {"cores": 2, "memory_gib": 24.0, "cpu": "x86_64", "python": "3.11.7"})
    report.latency("GET /plans/{id}", {"p50": 3.0, "p99": 9.0, "requests": 1000, "errors": 12,
                                       "statuses": {504: 2, 503: 10}}, {"p50": 2.5, "p99": 5.0})
    report.write(tmp_path / "benchmarks.md")
    text = (tmp_path / "benchmarks.md").read_text()
    assert "| GET /plans/{id}, 16 clients, p50 (1,000 requests, 10 answered 503, 2 answered 504) | 3.0 ms |" in text
    assert text.count("| MISSED |") == 2


def test_an_intake_that_fell_behind_or_erred_is_missed():
    report = Report("make bench", {"cores": 2, "memory_gib": 24.0, "cpu": "x86_64", "python": "3.11.7"})
    bare = {"p50": 10.0, "p99": 20.0}
    report.intake({"rate": 99.5, "p50": 25.0, "p99": 60.0, "requests": 6000, "errors": 0, "seconds": 60.3}, bare, 100)
    report.intake({"rate": 99.9, "p50": 25.0, "p99": 60.0, "requests": 6000, "errors": 3, "seconds": 60.1}, bare, 100)
    report.intake({"rate": 80.0, "p50": 40.0, "p99": 120.0, "requests": 4800, "errors": 0, "seconds": 60.0}, bare, 100)
    verdicts = [row[5] for row in report.rows]
    assert verdicts == ["met", "met", "met", "MISSED", "met", "met", "MISSED", "MISSED", "MISSED"]
    assert report.rows[0][1] == "99.5/s" and report.rows[1][3] == "2.50"
