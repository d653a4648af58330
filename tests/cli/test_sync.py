"""The `ortak` command line as a district office runs it: a real process against the running
system, the gateway killed in the middle of a push, an offline queue synced later."""
import csv
import json
import os
import secrets
import subprocess
import sys

import openpyxl
import pytest

from cli import contribution_book
from services.plan_registry.schemas import ContributionSchema
from shared.validation import load
from ops.demo import korfez, synthetic
from ops.processes import free_port, wait_until
from ops.stack import ROOT
from tests.stack import until_monitoring_has

pytestmark = pytest.mark.stack


def ortak(home, url, token, *args, wait=True):
    env = dict(os.environ, ORTAK_HOME=str(home), PYTHONPATH=ROOT)
    argv = [sys.executable, "-m", "cli", "--url", url, "--token", token, "--json", *args]
    if not wait:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


def token(client):
    return client.session.headers["Authorization"].split()[1]


def test_template_filled_pushed_and_pulled_gives_back_the_same_contribution(draft, token_for, stack, tmp_path):
    planner, coordinator = token_for("planner", "gomec"), token_for("coordinator", korfez.COORDINATOR)
    book = tmp_path / "gomec.xlsx"
    assert ortak(tmp_path, stack.url, token(planner), "template", "contribution", "--plan", draft,
                 "--municipality", "gomec", "-o", str(book))[0] == 0
    # the office fills the empty template: one objective, two indicators, a risk
    wb = openpyxl.load_workbook(book)
    layout = {row[0].value: (row[1].value, [c.value for c in row[2:] if c.value])
              for row in wb["ortak"].iter_rows(min_row=11, max_row=13)}
    rows = {"objectives": [{"code": "H42.1", "goal": "A6", "theme": "T6", "title": "Kırsal turizm rotaları", "responsible_unit":
                            "Kültür Müdürlüğü", "costs.2025": 1000, "costs.2026": 2500.5, "activities":
                            "Rota haritası\n[project] Ziyaretçi merkezi"}],
            "indicators": [{"objective": "H42.1", "code": "P42.1.1", "name": "Rota sayısı", "unit": "adet", "weight": 60,
                            "baseline": 0, **{f"targets.{y}": 2 * (i + 1) for i, y in enumerate(korfez.YEARS)},
                            "calculation": "cumulative"},
                           {"objective": "H42.1", "code": "P42.1.2", "name": "Ziyaretçi memnuniyeti", "unit": "%",
                            "weight": 40, "baseline": 60, **{f"targets.{y}": 70 for y in korfez.YEARS},
                            "calculation": "increase", "class": "quality"}],
            "risks": [{"objective": "H42.1", "text": "Bütçe yetersizliği", "control": "Dış fon başvurusu"}]}
    for sheet, (name, fields) in layout.items():
        for r, row in enumerate(rows[sheet], start=2):
            for c, field in enumerate(fields, start=1):
                wb[name].cell(r, c).value = row.get(field)
    wb.save(book)
    _, filled, _, _ = contribution_book.read(book.read_bytes())

    # the filled template replaces the four objectives gomec has: said, and sent only when allowed
    code, refused = ortak(tmp_path, stack.url, token(planner), "push", "contribution", str(book))
    assert code == 1 and len(refused["errors"]["removed"]) == 12
    code, result = ortak(tmp_path, stack.url, token(planner), "push", "contribution", str(book), "--allow-removals")
    assert code == 0 and len(result["removed"]) == 12, result
    pulled = tmp_path / "pulled.xlsx"
    assert ortak(tmp_path, stack.url, token(planner), "pull", "contribution", "--plan", draft,
                 "--municipality", "gomec", "-o", str(pulled))[0] == 0
    about, back, _, _ = contribution_book.read(pulled.read_bytes())
    # what the office wrote comes back; the server only adds the guide's defaults
    assert load(ContributionSchema(), back) == load(ContributionSchema(), filled)
    assert back["objectives"][0]["indicators"][1]["class"] == "quality"

    # someone changes the plan meanwhile: the push is refused with the changes shown, until --rebase
    coordinator.put(f"/plans/{draft}/contributions/havran", korfez.CONTRIBUTIONS["havran"] | {
        "objectives": korfez.CONTRIBUTIONS["havran"]["objectives"][:1]})
    code, refused = ortak(tmp_path, stack.url, token(planner), "push", "contribution", str(pulled))
    assert code == 3 and "changed on the server" in refused["error"]
    assert "havran" in refused["errors"]["changes"][0]
    code, result = ortak(tmp_path, stack.url, token(planner), "push", "contribution", str(pulled), "--rebase")
    assert code == 0 and result["objectives"] == 1


# districts of 200 indicators: 4,000 readings in 40 batches of 100 give the resume many places to
# stop, without a plan so big that every other test waits on the shared store while it is figured
INDICATORS, BATCH = 200, 100


def write_csv(path, prefix, districts, periods):
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, ["indicator", "municipality", "period", "value"])
        out.writeheader()
        for period in periods:
            for n in range(1, districts + 1):
                out.writerows(synthetic.readings(prefix, n, INDICATORS, period))


def submitted(coordinator, plan_id):
    entries = [e for e in coordinator.get(f"/plans/{plan_id}/audit?limit=10000")
               if e["action"] == "readings.submitted"]
    return len(entries), sum(e["count"] for e in entries)


def test_a_push_interrupted_by_the_gateway_resumes_and_an_offline_push_syncs_later(stack, admin, token_for, tmp_path):
    prefix = "cli" + os.urandom(2).hex()
    plan_id = synthetic.create(token_for, admin, prefix, 5, INDICATORS)
    coordinator = token_for("coordinator", f"{prefix}-metro")
    until_monitoring_has(coordinator, plan_id, synthetic.START)
    file = tmp_path / "readings.csv"
    write_csv(file, prefix, 5, synthetic.half_years()[:4])        # 4,000 readings
    journal_dir = tmp_path / "journal"

    push = ortak(tmp_path, stack.url, token(coordinator), "--attempts", "2", "push", "readings", str(file),
                 "--plan", plan_id, "--batch-size", str(BATCH), wait=False)
    wait_until(lambda: journal_dir.exists() and any(
        len(open(journal_dir / name).read().split()) >= 5 for name in os.listdir(journal_dir)), 300, interval=0.1,
        what="five batches acknowledged")
    stack.gateway.kill(group=True)                                # in the middle of the push
    out, _ = push.communicate(timeout=300)
    first = json.loads(out.strip().splitlines()[-1])
    assert push.returncode == 4 and first["queued"] > 0 and first["sent"] >= 5
    stack.start_gateway()
    stack.wait_ready()

    code, second = ortak(tmp_path, stack.url, token(coordinator), "push", "readings", str(file), "--plan", plan_id,
                         "--batch-size", str(BATCH))
    assert code == 0, second
    assert second["skipped"] == first["sent"] and second["sent"] == 40 - first["sent"]
    assert submitted(coordinator, plan_id) == (40, 4000)           # every batch stored once
    assert ortak(tmp_path, stack.url, token(coordinator), "sync")[1]["sent"] == 0   # the queue went with the push

    offline = tmp_path / "offline.csv"
    write_csv(offline, prefix, 2, [f"{synthetic.START + 2}-H1"])
    code, queued = ortak(tmp_path, stack.url, token(coordinator), "push", "readings", str(offline),
                         "--plan", plan_id, "--batch-size", str(INDICATORS), "--offline")
    assert code == 4 and queued["queued"] == 2 and queued["sent"] == 0
    assert submitted(coordinator, plan_id) == (40, 4000)
    code, synced = ortak(tmp_path, stack.url, token(coordinator), "sync")
    assert code == 0 and synced == {"sent": 2, "accepted": 400, "projects": 0, "requests": 0, "left": 0,
                                      "refused": {}}
    assert submitted(coordinator, plan_id) == (42, 4400)


def test_login_keeps_the_token_for_its_owner_only(stack, token_for, tmp_path):
    viewer = token(token_for("viewer"))
    env = dict(os.environ, ORTAK_HOME=str(tmp_path), PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "cli", "login", "--url", stack.url, "--token", viewer], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert oct(os.stat(tmp_path / "config.json").st_mode & 0o777) == "0o600"
    assert json.load(open(tmp_path / "config.json")) == {"url": stack.url, "token": viewer}
    bad = subprocess.run([sys.executable, "-m", "cli", "login", "--url", stack.url, "--token", "nope"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 5


def readings_csv(path, period="2026-H1"):
    with open(path, "w") as f:
        f.write("indicator,municipality,period,value\n")
        f.write(f"PG5.1.1,edremit,{period},18\nPG5.1.2,edremit,{period},65\n")


def test_a_push_queued_when_the_server_was_unreachable_is_sent_by_sync(adopted, coordinator, token_for, stack,
                                                                      tmp_path):
    planner = token(token_for("planner", "edremit"))
    file = tmp_path / "r.csv"
    readings_csv(file)
    closed = f"http://127.0.0.1:{free_port()}"   # nothing listens there
    code, queued = ortak(tmp_path, closed, planner, "--attempts", "2", "push", "readings", str(file),
                         "--plan", adopted)
    assert code == 4 and queued["queued"] == 1 and queued["sent"] == 0
    assert len(list((tmp_path / "outbox").iterdir())) == 1
    # still unreachable: the batch stays queued
    code, _ = ortak(tmp_path, closed, planner, "--attempts", "1", "sync")
    assert code == 4 and len(list((tmp_path / "outbox").iterdir())) == 1
    assert submitted(coordinator, adopted) == (0, 0)

    code, synced = ortak(tmp_path, stack.url, planner, "sync")
    assert code == 0 and synced["sent"] == 1 and synced["accepted"] == 2 and synced["left"] == 0, synced
    assert list((tmp_path / "outbox").iterdir()) == []
    assert submitted(coordinator, adopted) == (1, 2)
    # sent once: a sync or the same push again stores nothing more
    assert ortak(tmp_path, stack.url, planner, "sync")[1]["sent"] == 0
    code, again = ortak(tmp_path, stack.url, planner, "push", "readings", str(file), "--plan", adopted)
    assert code == 0 and again["skipped"] == 1
    assert submitted(coordinator, adopted) == (1, 2)


def test_a_refused_queued_batch_does_not_hold_back_the_others(adopted, coordinator, token_for, stack, tmp_path):
    planner = token(token_for("planner", "edremit"))
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    readings_csv(bad, "2031-H1")   # outside the plan's years
    readings_csv(good, "2026-H2")
    for file in (bad, good):
        assert ortak(tmp_path, stack.url, planner, "push", "readings", str(file), "--plan", adopted,
                     "--offline")[0] == 4
    code, synced = ortak(tmp_path, stack.url, planner, "sync")
    assert code == 1 and synced["sent"] == 1 and synced["left"] == 1 and len(synced["refused"]) == 1
    assert submitted(coordinator, adopted) == (1, 2)
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_approve_follows_a_big_approval_until_its_readings_are_approved(stack, admin, token_for, tmp_path):
    from services.monitoring.service import APPROVE_AT_ONCE
    prefix, count = "cliapr" + secrets.token_hex(2), APPROVE_AT_ONCE + 10   # ten indicators to an objective
    plan_id = synthetic.create(token_for, admin, prefix, 1, count, per_objective=10)
    planner, colleague = token_for("planner", f"{prefix}-d1"), token_for("planner", f"{prefix}-d1", "second")
    until_monitoring_has(planner, plan_id, synthetic.START)   # its adoption reaches monitoring by an event
    period = synthetic.half_years()[0]
    planner.post(f"/plans/{plan_id}/readings", {"readings": synthetic.readings(prefix, 1, count, period)},
                 expect=202)
    scope = ["--plan", plan_id, "--municipality", f"{prefix}-d1", "--period", period]
    # refused: exit 1, the field named
    code, refused = ortak(tmp_path, stack.url, token(colleague), "approve", *scope[:3], "nowhere", *scope[4:])
    assert code == 1 and "municipality" in refused["errors"], refused
    code, answer = ortak(tmp_path, stack.url, token(colleague), "approve", *scope)
    assert code == 0 and (answer["approved"], answer["status"]) == (count, "applied")
    readings = planner.get(f"/plans/{plan_id}/readings?municipality={prefix}-d1&period={period}")
    assert len(readings) == count and {r["status"] for r in readings} == {"approved"}
    # sent again, it approves nothing twice
    assert ortak(tmp_path, stack.url, token(colleague), "approve", *scope)[1]["approved"] == 0
