"""python -m ops.backup against the running system: what the API answered before a backup, it
answers again after the databases are dropped and the archive restored."""
import io
import json
import os
import subprocess
import sys
import tarfile

import bson
import pymongo
import pytest

from ops import backup
from ops.processes import wait_until
from ops.stack import ROOT
from shared.config import SERVICES
from tests.integration.test_consultation import an_input, workshop
from tests.integration.test_monitoring import H1, H1_ANSWERED, report_and_approve, report_green_2025, settled

pytestmark = pytest.mark.stack


def run_backup(stack, *args):
    env = {k: v for k, v in stack.env().items() if not k.endswith("_FILE")}
    return subprocess.run([sys.executable, "-m", "ops.backup", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def answers(client, plan_id, cid):
    """Every answer the test compares, by path."""
    paths = [f"/plans/{plan_id}", f"/plans/{plan_id}/versions", f"/plans/{plan_id}/versions/1",
             f"/plans/{plan_id}/progress?period=2026-H1", f"/plans/{plan_id}/progress?period=2026-H1&municipality=edremit",
             f"/plans/{plan_id}/consultations", f"/consultations/{cid}", f"/consultations/{cid}/inputs",
             f"/plans/{plan_id}/readings?period=2026-H1", f"/plans/{plan_id}/readings?municipality=edremit",
             f"/plans/{plan_id}/alerts", "/municipalities"]
    return {path: client.get(path) for path in paths}


def a_quiet_backup(stack, path):
    """An archive equal to the store when it was made: the events of the writes above may still
    be at work (and the periods they left to be figured, carries), so back up once none is left
    and until the store and the archive agree."""
    made = {}
    carries = pymongo.MongoClient(stack.mongodb_uri)[f"{stack.db_prefix}_monitoring"]["figures_carried"]

    def agrees():
        if list(carries.find({}, {"_id": 1})):
            return False
        made["path"], made["manifest"] = backup.create(stack.mongodb_uri, path, prefix=stack.db_prefix)
        return not backup.verify(path, against=stack.mongodb_uri)
    try:
        wait_until(agrees, 60, interval=1, what="a backup equal to the store")
    finally:
        carries.database.client.close()
    return made["manifest"]


def restart_gateway(stack):
    """As an operator restores: the gateway stopped, and started on the restored store."""
    stack.gateway.stop()
    stack.start_gateway()
    stack.wait_ready()


def test_a_deployment_restored_from_its_backup_answers_as_before(stack, adopted, coordinator, token_for, public,
                                                                 tmp_path):
    # a consultation with an input, readings of every district submitted and approved
    cid = coordinator.post(f"/plans/{adopted}/consultations", workshop(), expect=201)["id"]
    token_for("planner", "edremit").post(f"/consultations/{cid}/inputs", an_input("edremit", 3), expect=201)
    report_green_2025(token_for, adopted)   # cumulative indicators count from the plan's first year
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    settled(public, adopted, "2026-H1")
    before = answers(coordinator, adopted, cid)
    public_before = public.get(f"/plans/{adopted}")
    assert len(before[f"/plans/{adopted}/versions"]) >= 2 and before[f"/consultations/{cid}/inputs"]
    assert before[f"/plans/{adopted}/readings?municipality=edremit"]

    archive = str(tmp_path / "ortak.tar.gz")
    manifest = a_quiet_backup(stack, archive)
    assert manifest["prefix"] == stack.db_prefix and manifest["plan"] is None and manifest["created_at"]
    assert set(manifest["services"]) == set(SERVICES)
    assert manifest["services"]["plan_registry"]["collections"]["plan_versions"]["count"] >= 2
    assert len(manifest["services"]["monitoring"]["collections"]["reading_sheets"]["sha256"]) == 64
    checked = run_backup(stack, "verify", archive, "--against", stack.mongodb_uri)
    assert checked.returncode == 0 and "whole and equal to the store" in checked.stdout, checked.stdout + checked.stderr

    # the archive will not be loaded over data it would mix with
    refused = run_backup(stack, "restore", archive)
    assert refused.returncode == 1 and "--force" in refused.stderr

    client = pymongo.MongoClient(stack.mongodb_uri)
    restored = None
    try:
        for service in SERVICES:
            client.drop_database(f"{stack.db_prefix}_{service}")
        restart_gateway(stack)   # it keeps what it served until an event says it changed: a wipe sends none
        assert public.request("GET", f"/plans/{adopted}").status_code == 404
        assert public.request("GET", f"/plans/{adopted}/progress?period=2026-H1").status_code == 404
        assert coordinator.request("GET", f"/plans/{adopted}").status_code in (401, 404)  # its token is gone too
        differs = run_backup(stack, "verify", archive, "--against", stack.mongodb_uri)
        assert differs.returncode == 1 and "differences found" in differs.stdout

        # the refused token above was counted (rate_windows): a running system writes as soon as
        # it is asked, so the wiped store is not empty any more and only --force replaces it
        refused = run_backup(stack, "restore", archive)
        assert refused.returncode == 1 and "rate_windows" in refused.stderr
        restored = run_backup(stack, "restore", archive, "--force")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        # the indexes the services made are back (they make theirs once per process)
        versions = client[f"{stack.db_prefix}_plan_registry"]["plan_versions"]
        assert len(list(versions.list_indexes())) > 1
    finally:
        if restored is None:   # a failure above must not leave the suite's store wiped
            run_backup(stack, "restore", archive, "--force")
        client.close()
    restart_gateway(stack)

    assert answers(coordinator, adopted, cid) == before
    assert public.get(f"/plans/{adopted}") == public_before
    assert run_backup(stack, "verify", archive, "--against", stack.mongodb_uri).returncode == 0
    # and the system goes on working on the restored data
    token_for("planner", "edremit").post(f"/consultations/{cid}/inputs", an_input("edremit", 4), expect=201)
    wait_until(lambda: len(coordinator.get(f"/consultations/{cid}/inputs")) == len(before[f"/consultations/{cid}/inputs"]) + 1,
               10, what="a new input after the restore")


def test_a_plan_backup_holds_that_plan_from_every_service_and_restores_elsewhere(stack, adopted, coordinator,
                                                                                 token_for, public, tmp_path):
    cid = coordinator.post(f"/plans/{adopted}/consultations", workshop(), expect=201)["id"]
    token_for("planner", "gomec").post(f"/consultations/{cid}/inputs", an_input("gomec", 1), expect=201)
    archive = str(tmp_path / "plan.tar.gz")
    made = run_backup(stack, "create", "--plan", adopted, "--out", archive)
    assert made.returncode == 0, made.stdout + made.stderr
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest["plan"] == adopted
        collections = {(s, c) for s, entry in manifest["services"].items() for c in entry["collections"]}
        assert {("plan_registry", "plan_versions"), ("consultation", "consultations"), ("consultation", "inputs"),
                ("monitoring", "plan_models")} <= collections
        assert ("plan_registry", "tokens") not in collections
        for service, entry in manifest["services"].items():
            for name, collection in entry["collections"].items():
                for document in bson.decode_all(tar.extractfile(collection["file"]).read()):
                    assert adopted in (document.get("plan_id"), document["_id"]), (service, name, document["_id"])
    assert run_backup(stack, "verify", archive).returncode == 0
    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"  # it holds token hashes and everything else

    # into another deployment's databases: that plan, and nothing else
    copy = f"{stack.db_prefix}_copy"
    try:
        restored = run_backup(stack, "restore", archive, "--prefix", copy)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert run_backup(stack, "verify", archive, "--against", stack.mongodb_uri, "--prefix", copy).returncode == 0
        again = run_backup(stack, "restore", archive, "--prefix", copy)
        assert again.returncode == 1 and f"plan {adopted}" in again.stderr
        assert run_backup(stack, "restore", archive, "--prefix", copy, "--force").returncode == 0
        client = pymongo.MongoClient(stack.mongodb_uri)
        try:
            inputs = client[f"{copy}_consultation"]["inputs"]
            assert inputs.count_documents({}) == manifest["services"]["consultation"]["collections"]["inputs"]["count"]
        finally:
            client.close()
    finally:
        client = pymongo.MongoClient(stack.mongodb_uri)
        for service in SERVICES:
            client.drop_database(f"{copy}_{service}")
        client.close()
    assert not os.path.exists(archive + ".partial")

    # a damaged archive is named as such, and never loaded
    damaged = str(tmp_path / "damaged.tar.gz")
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith("inputs.bson"):
                data = data.replace(b"gomec", b"gomed")  # still BSON, other bytes
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    checked = run_backup(stack, "verify", damaged)
    assert checked.returncode == 1 and "consultation/inputs.bson: checksum differs" in checked.stdout
    refused = run_backup(stack, "restore", damaged, "--prefix", f"{stack.db_prefix}_damaged")
    assert refused.returncode == 1 and "damaged" in refused.stderr
