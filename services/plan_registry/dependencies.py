"""The plan registry's store: the small interface its service needs, over mongoengine."""
import functools
import hashlib
import hmac
import logging
import secrets

from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from shared import audit, config
from shared import events as ev
from shared.clock import iso, now_iso, utcnow
from shared.errors import Conflict, NotFound, StaleVersion
from shared.mongo import MongoStore, ServiceStore, indexable, keep_newest

from . import people
from .models import ALIAS, DOCUMENTS, OUTBOXES, Municipality, Person, PlanHead, PlanVersion, Provenance, Session, Token

BOOTSTRAP_ADMIN_ID = "bootstrap-admin"
log = logging.getLogger(__name__)


LOCAL_PEPPER = "ortak-local-pepper"


@functools.lru_cache(maxsize=1)
def token_pepper():
    """The HMAC key of stored token hashes: ORTAK_TOKEN_PEPPER (or ORTAK_TOKEN_PEPPER_FILE).
    Outside production a local default stands in; in production there is none."""
    pepper = config.secret("ORTAK_TOKEN_PEPPER")
    if pepper is None:
        if config.production():
            raise config.ConfigurationError(
                "ORTAK_ENV=production and no token pepper: set ORTAK_TOKEN_PEPPER or ORTAK_TOKEN_PEPPER_FILE "
                "to a long random value, the same for every plan_registry process and kept (changing it "
                "invalidates every issued token).")
        pepper = LOCAL_PEPPER
    return pepper.encode()


def token_hash(token):
    return hmac.new(token_pepper(), token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


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

    def revoke_token(self, token_id, actor=None):
        """Revoked with its ``token_revoked`` event in the same write (compare-and-set on ``rev``)."""
        for _ in range(5):
            token = Token.objects(id=token_id).first()
            if token is None:
                raise NotFound(f"No token {token_id!r}.")
            if token.revoked_at:
                return
            event = ev.envelope(ev.TOKEN_REVOKED, "plan_registry", {"token_id": token_id},
                                municipality=token.municipality, actor=actor)
            if self._with_event(Token, token, event, set__revoked_at=now_iso()):
                return
        raise StaleVersion(f"Token {token_id} was changed at the same time; send it again.")

    @staticmethod
    def _with_event(document, current, event, **changes):
        """One compare-and-set write of ``changes`` and the event added to the document's outbox.
        (The outbox is written whole: the embedded store's ``$push`` of a document stores a string.)"""
        pending = list(current.outbox or []) + [event]
        # a document written before it had an outbox has no rev yet (null matches a missing field)
        same = {"rev": current.rev} if current.rev else {"rev__in": [0, None]}
        return document.objects(id=current.id, **same).update_one(
            set__outbox=pending, set__outbox_pending=len(pending), inc__rev=1, **changes)

    def _person_event(self, uid, event_type, reason, **changes):
        for _ in range(5):
            person = Person.objects(id=uid).first()
            if person is None:
                return False
            event = ev.envelope(event_type, "plan_registry", {"person_id": uid, "reason": reason},
                                municipality=person.municipality)
            if self._with_event(Person, person, event, **changes):
                return True
        raise StaleVersion(f"User {uid} was changed at the same time; send it again.")

    def authenticate(self, value):
        digest = token_hash(value)
        token = Token.objects(hash=digest).first()
        if token is None or token.revoked_at or not hmac.compare_digest(token.hash, digest):
            return None
        return {"token_id": token.id, "role": token.role, "municipality": token.municipality}

    def tokens(self):
        return [t.as_dict() for t in Token.objects.order_by("created_at")]

    # -- people and sessions ------------------------------------------------------------------
    def add_person(self, data, created_by, password_hash):
        """Returns (person, setup secret or None); a username taken already is a Conflict."""
        setup = None if password_hash else secrets.token_urlsafe(32)
        person = Person(id="usr_" + secrets.token_hex(8), created_at=now_iso(), created_by=created_by,
                        password_hash=password_hash, setup_hash=setup and token_hash(setup),
                        setup_expires_at=setup and iso(utcnow() + people.SETUP_VALID), **data)
        try:
            person.save(force_insert=True)
        except NotUniqueError:
            raise Conflict(f"The username {data['username']!r} is taken.",
                           {"username": ["Taken; choose another."]}) from None
        return person.as_dict(), setup

    def person(self, uid=None, username=None):
        found = Person.objects(id=uid).first() if uid else Person.objects(username=username).first()
        return found

    def people(self, municipalities=None):
        query = Person.objects if municipalities is None else Person.objects(municipality__in=sorted(municipalities))
        return [p.as_dict() for p in query.order_by("username")]

    def person_by_setup(self, secret):
        found = Person.objects(setup_hash=token_hash(secret)).first()
        if found is None or found.disabled_at or found.setup_expires_at < now_iso():
            return None
        return found

    def set_password(self, person, password_hash):
        Person.objects(id=person.id).update_one(set__password_hash=password_hash, set__setup_hash=None,
                                                set__setup_expires_at=None, set__failures=[])
        if Session.objects(person_id=person.id).only("id").first():   # the embedded store's count scans
            self._person_event(person.id, ev.SESSION_ENDED, "password")
        Session.objects(person_id=person.id).delete()  # a new password logs every browser out

    def disable_person(self, uid):
        person = Person.objects(id=uid).first()
        if person is None:
            raise NotFound(f"No user {uid!r}.")
        if person.disabled_at is None:
            self._person_event(uid, ev.PERSON_DISABLED, "disabled", set__disabled_at=now_iso())
        Session.objects(person_id=uid).delete()

    def set_failures(self, person, failures):
        Person.objects(id=person.id).update_one(set__failures=failures)

    def open_session(self, person):
        secret = secrets.token_urlsafe(32)
        expires = utcnow() + people.SESSION_VALID
        Session(id=token_hash(secret), person_id=person.id, created_at=now_iso(), expires_at=iso(expires)).save(
            force_insert=True)
        return secret, iso(expires)

    def session_person(self, secret):
        """The person of a live session, or None (unknown, expired, or the person disabled)."""
        session = Session.objects(id=token_hash(secret)).first()
        if session is None or session.expires_at < now_iso():
            return None
        person = Person.objects(id=session.person_id, disabled_at=None).first()
        return person.as_dict() if person else None

    def close_session(self, secret):
        """The event is written before the session is deleted: a crash between the two leaves a
        live session whose checks the gateways merely repeat, never an ended one they still trust."""
        session = Session.objects(id=token_hash(secret)).first()
        if session is None:
            return
        self._person_event(session.person_id, ev.SESSION_ENDED, "logout")
        Session.objects(id=session.id).delete()

    def forget_expired_sessions(self):
        Session.objects(expires_at__lt=now_iso()).delete()

    def coordinated(self, municipality):
        """The municipalities of the plans ``municipality`` coordinates, itself included."""
        found = {municipality}
        body = Municipality.objects(id=municipality).first()
        if body is not None and body.kind == "cooperation_body":
            return found  # a body's members are not its own: it adds no people of theirs
        for head in PlanHead.objects(coordinator=municipality):
            found.update(head.members)
        return found

    # -- plans --------------------------------------------------------------------------------
    def latest(self, plan_id):
        """(version, snapshot) of the newest version; the versions, not the head, are the truth."""
        # raw: mongoengine's DictField makes objects of every nested value of a large snapshot
        found = PlanVersion._get_collection().find_one(indexable(PlanVersion, {"plan_id": plan_id}),
                                                       {"n": 1, "snapshot": 1}, sort=[("n", -1)])
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

    def children(self, plan_id):
        """The ids of the plans that cascade from ``plan_id`` (a plan's parent is set at its creation)."""
        # $eq: a snapshot's parent is one id, the form the store's indexes answer (shared.mongo.indexable)
        found = PlanVersion._get_collection().find(
            indexable(PlanVersion, {"n": 1, "snapshot.parent_plan": {"$eq": plan_id}}), {"plan_id": 1})
        return sorted({doc["plan_id"] for doc in found})

    def counting(self, plan_id):
        """The ids of the plans that count objectives of ``plan_id`` too (their newest version says so)."""
        # $in, not equality: see the note on PlanHead.members
        return [h.id for h in PlanHead.objects(__raw__={"counts_from": {"$in": [plan_id]}}).only("id").order_by("id")]

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
        try:   # inserted as it is: save() would walk the snapshot for changes it does not keep
            version.validate()
            PlanVersion._get_collection().insert_one(version.to_mongo())
        except DuplicateKeyError:
            current, _ = self.latest(plan_id)
            raise StaleVersion(f"Plan {plan_id} changed meanwhile: it is at version {current}.",
                               extra={"version": current}) from None
        self.refresh_head(version)
        return version

    def refresh_head(self, version):
        snap = version.snapshot
        keep_newest(PlanHead, version.plan_id, "version", version.n, status=snap["status"], title=snap["title"],
                    coordinator=snap["coordinator"], members=snap["members"], calendar=snap["calendar"],
                    period=snap["period"], updated_at=snap["updated_at"], counts_from=snap.get("counts_from") or [])

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
    def relayed(self, doc):
        """Right after a commit the head is fresh already; the timer's pass repairs the head of a
        version whose commit stopped before refreshing it."""
        if isinstance(doc, PlanVersion):
            self.refresh_head(doc)


class RegistryStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def setup(self):
        try:
            token_pepper()  # refuse to start without one in production, before taking any work
        except config.ConfigurationError as exc:
            log.critical("plan_registry cannot start: %s", exc)
            raise
        super().setup()
        # here, not in start(): nameko sets every extension up before it starts any, so no request
        # is taken before the bootstrap admin token is stored (the first one was refused, now and then)
        admin = config.env("ORTAK_ADMIN_TOKEN")
        if admin:
            try:
                Registry().ensure_token(BOOTSTRAP_ADMIN_ID, admin, "admin")
            except Exception:
                log.exception("could not ensure the bootstrap admin token; it is tried at the next start")

    def make_dependency(self):
        return Registry()
