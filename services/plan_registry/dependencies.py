"""The plan registry's store: the small interface its service needs, over mongoengine."""
import hashlib
import hmac
import logging
import secrets

from mongoengine.errors import NotUniqueError

from shared import audit, config, outbox
from shared.clock import now_iso
from shared.errors import NotFound, StaleVersion
from shared.mongo import MongoStore, ServiceStore, keep_newest

from .models import ALIAS, DOCUMENTS, OUTBOXES, Municipality, PlanHead, PlanVersion, Provenance, Token

BOOTSTRAP_ADMIN_ID = "bootstrap-admin"
log = logging.getLogger(__name__)


def token_hash(token):
    pepper = config.env("ORTAK_TOKEN_PEPPER", "ortak-local-pepper").encode()
    return hmac.new(pepper, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


class Registry(ServiceStore):
    alias = ALIAS
    outboxes = OUTBOXES

    # -- municipalities -----------------------------------------------------------------------
    def municipalities(self):
        return {m.id: m.as_dict() for m in Municipality.objects.order_by("id")}

    def municipality(self, mid):
        found = Municipality.objects(id=mid).first()
        if found is None:
            raise NotFound(f"No municipality {mid!r}.")
        return found.as_dict()

    def put_municipality(self, mid, data, event):
        """Create or replace; returns True when created. The event rides in the same write."""
        now = now_iso()
        current = Municipality.objects(id=mid).first()
        if current is None:
            try:
                Municipality(id=mid, created_at=now, updated_at=now, outbox=[event], outbox_pending=1,
                             **data).save(force_insert=True)
                return True
            except NotUniqueError:
                current = Municipality.objects.get(id=mid)
        pending = current.outbox + [event]
        updated = Municipality.objects(id=mid, rev=current.rev).update_one(
            set__updated_at=now, set__outbox=pending, set__outbox_pending=len(pending), inc__rev=1,
            **{f"set__{k}": v for k, v in data.items()})
        if not updated:
            raise StaleVersion(f"Municipality {mid} was changed at the same time; send it again.")
        return False

    # -- tokens -------------------------------------------------------------------------------
    def issue_token(self, role, municipality, label, created_by, value=None, token_id=None):
        value = value or "ortak_" + secrets.token_urlsafe(32)
        token = Token(id=token_id or "tok_" + secrets.token_hex(8), hash=token_hash(value), role=role,
                      municipality=municipality, label=label, created_at=now_iso(), created_by=created_by)
        token.save(force_insert=True)
        return value, token.as_dict()

    def ensure_token(self, token_id, value, role):
        """The bootstrap admin token from the environment: created if absent, rotated if changed."""
        digest = token_hash(value)
        found = Token.objects(id=token_id).first()
        if found is None:
            self.issue_token(role, None, "from ORTAK_ADMIN_TOKEN", None, value=value, token_id=token_id)
        elif found.hash != digest or found.revoked_at:
            Token.objects(id=token_id).update_one(set__hash=digest, set__revoked_at=None)

    def revoke_token(self, token_id):
        if not Token.objects(id=token_id, revoked_at=None).update_one(set__revoked_at=now_iso()):
            if Token.objects(id=token_id).first() is None:
                raise NotFound(f"No token {token_id!r}.")

    def authenticate(self, value):
        digest = token_hash(value)
        token = Token.objects(hash=digest).first()
        if token is None or token.revoked_at or not hmac.compare_digest(token.hash, digest):
            return None
        return {"token_id": token.id, "role": token.role, "municipality": token.municipality}

    def tokens(self):
        return [t.as_dict() for t in Token.objects.order_by("created_at")]

    # -- plans --------------------------------------------------------------------------------
    def latest(self, plan_id):
        """(version, snapshot) of the newest version; the versions, not the head, are the truth."""
        # raw: mongoengine's DictField makes objects of every nested value of a large snapshot
        found = PlanVersion._get_collection().find_one({"plan_id": plan_id}, {"n": 1, "snapshot": 1},
                                                       sort=[("n", -1)])
        if found is None:
            raise NotFound(f"No plan {plan_id!r}.")
        return found["n"], found["snapshot"]

    def exists(self, plan_id):
        return PlanVersion.objects(id=PlanVersion.key(plan_id, 1)).first() is not None

    def version(self, plan_id, n):
        found = PlanVersion.objects(id=PlanVersion.key(plan_id, n)).first()
        if found is None:
            raise NotFound(f"Plan {plan_id!r} has no version {n}.")
        return found

    def versions(self, plan_id):
        headers = [v.header() for v in PlanVersion.objects(plan_id=plan_id).exclude("snapshot", "outbox")
                   .order_by("n")]
        if not headers:
            raise NotFound(f"No plan {plan_id!r}.")
        return headers

    def commit(self, plan_id, n, snapshot, kind, summary, author, events):
        """Write version ``n`` with its events; fails with StaleVersion if someone else made ``n``."""
        version = PlanVersion(id=PlanVersion.key(plan_id, n), plan_id=plan_id, n=n, kind=kind,
                              status=snapshot["status"], summary=summary,
                              author=author or {}, at=snapshot["updated_at"], snapshot=snapshot,
                              outbox=events, outbox_pending=len(events))
        try:
            version.save(force_insert=True)
        except NotUniqueError:
            current, _ = self.latest(plan_id)
            raise StaleVersion(f"Plan {plan_id} changed meanwhile: it is at version {current}.",
                               extra={"version": current}) from None
        self.refresh_head(version)
        return version

    def refresh_head(self, version):
        snap = version.snapshot
        keep_newest(PlanHead, version.plan_id, "version", version.n, status=snap["status"], title=snap["title"],
                    coordinator=snap["coordinator"], members=snap["members"], calendar=snap["calendar"],
                    period=snap["period"], updated_at=snap["updated_at"])

    def heads(self, member=None, coordinator=None):
        query = PlanHead.objects
        if member:
            # $in, not equality: see the note on PlanHead.members
            query = PlanHead.objects(__raw__={"$or": [{"members": {"$in": [member]}}, {"coordinator": member}]})
        elif coordinator:
            query = PlanHead.objects(coordinator=coordinator)
        return [h.as_dict() for h in query.order_by("id")]

    # -- provenance: where objectives came from ------------------------------------------------
    def record_decision(self, envelope):
        payload = envelope["payload"]
        keep_newest(Provenance, Provenance.key(envelope["plan_id"], payload["input_id"]), "seq", payload["seq"],
                    plan_id=envelope["plan_id"], input_id=payload["input_id"], source=payload["input"],
                    links=payload["links"] if payload["decision"] == "accepted" else [],
                    decided_at=envelope["occurred_at"], decided_by=envelope.get("actor") or {})

    def provenance(self, plan_id):
        return [{"input_id": p.input_id, "links": p.links, **p.source}
                for p in Provenance.objects(plan_id=plan_id).order_by("input_id") if p.links]

    def audit(self, plan_id):
        versions = [audit.entry(v.at, f"plan.{v.kind}", v.author, version=v.n, status=v.status, summary=v.summary)
                    for v in PlanVersion.objects(plan_id=plan_id).exclude("snapshot", "outbox")]
        decisions = [audit.entry(p.decided_at, "plan.input_decided", p.decided_by, input_id=p.input_id,
                                 links=p.links)
                     for p in Provenance.objects(plan_id=plan_id) if p.decided_at]
        return versions + decisions

    # -- outbox -------------------------------------------------------------------------------
    def relay(self, dispatch, now=False):
        """Publish pending events. Right after a commit (``now``) the head is fresh already; the
        timer's pass repairs the head of a version whose commit stopped before refreshing it."""
        if now:
            return super().relay(dispatch, now=True)
        outbox.relay(OUTBOXES, dispatch, after=lambda doc: self.refresh_head(doc) if isinstance(doc, PlanVersion) else None)


class RegistryStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def start(self):
        super().start()
        admin = config.env("ORTAK_ADMIN_TOKEN")
        if admin:
            try:
                Registry().ensure_token(BOOTSTRAP_ADMIN_ID, admin, "admin")
            except Exception:
                log.exception("could not ensure the bootstrap admin token; it is tried at the next start")

    def make_dependency(self):
        return Registry()
