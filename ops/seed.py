"""Seed the demo region once, through the public API: the Körfez joint plan 2025-2029.

Prints (and keeps in var/demo-tokens.json, readable only by its owner) a token per role.
"""
import json
import os

from .client import Client
from .demo import korfez

DEMO_ROLES = [("admin", None), ("coordinator", korfez.COORDINATOR), ("planner", "edremit"),
              ("viewer", korfez.COORDINATOR)]


def seeded(client):
    return client.request("GET", f"/plans/{korfez.PLAN_ID}").status_code == 200


def seed_plan(admin):
    for mid, body in korfez.MUNICIPALITIES.items():
        admin.put(f"/municipalities/{mid}", body)
    admin.post("/plans", korfez.PLAN, expect=201)
    admin.put(f"/plans/{korfez.PLAN_ID}/frame", korfez.FRAME)
    for district, contribution in korfez.CONTRIBUTIONS.items():
        admin.put(f"/plans/{korfez.PLAN_ID}/contributions/{district}", contribution)
    admin.post(f"/plans/{korfez.PLAN_ID}/adopt", korfez.ADOPTION)


def demo_tokens(admin, path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    tokens = {}
    for role, municipality in DEMO_ROLES:
        issued = admin.post("/tokens", {"role": role, "municipality": municipality, "label": f"demo {role}"},
                            expect=201)
        tokens[role] = {"token": issued["token"], "municipality": municipality}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(tokens, f, indent=2)
    return tokens


def seed(url, admin_token, var_dir, log=print):
    admin = Client(url, admin_token)
    if seeded(admin):
        log(f"demo: {korfez.PLAN_ID} is there already (not seeded again)")
    else:
        seed_plan(admin)
        log(f"demo: seeded {korfez.PLAN_ID} (Balıkesir with Ayvalık, Burhaniye, Edremit, Gömeç, Havran)")
    return demo_tokens(admin, os.path.join(var_dir, "demo-tokens.json"))
