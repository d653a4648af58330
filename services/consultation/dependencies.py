"""The consultation service's store: the small interface its service needs, over mongoengine."""
import secrets

from mongoengine.errors import NotUniqueError

from shared.clock import now_iso
from shared.errors import NotFound
from shared.mongo import MongoStore, ServiceStore, keep_newest

from .models import ALIAS, DOCUMENTS, OUTBOXES, BankRecord, Consultation, Input, PlanView


class Consultations(ServiceStore):
    alias = ALIAS
    outboxes = OUTBOXES

    # -- the plan read model --------------------------------------------------------------------
    def plan(self, plan_id):
        found = PlanView.objects(id=plan_id).first()
        return found.plan if found else None

    def keep_plan(self, plan, version):
        """Keep the newest version only: events may arrive late or twice."""
        keep_newest(PlanView, plan["id"], "version", version, plan=plan)

    # -- consultations --------------------------------------------------------------------------
    def create(self, data, cid=None, fingerprint=None):
        """Its events (opened, closed) are added by the timer when its times come. Returns (the
        consultation, created); an id taken already (the same Idempotency-Key) gives the stored one."""
        consultation = Consultation(id=cid or "c_" + secrets.token_hex(6), created_at=now_iso(),
                                    fingerprint=fingerprint, **data)
        try:
            consultation.save(force_insert=True)
        except NotUniqueError:
            return self.keyed("consultation", cid), False
        return consultation.as_dict(), True

    @staticmethod
    def keyed(kind, key):
        """What an Idempotency-Key created, a consultation or a bank record (with the fingerprint of
        its first request), or None."""
        found = KEYED[kind].objects(id=key).first()
        return None if found is None else {**found.as_dict(), "fingerprint": found.fingerprint}

    def consultation(self, cid):
        found = Consultation.objects(id=cid).first() if isinstance(cid, str) else None
        if found is None:
            raise NotFound(f"No consultation {cid!r}.")
        return found.as_dict()

    def consultations(self, plan_id):
        return [c.as_dict() for c in Consultation.objects(plan_id=plan_id).order_by("opens_at")]

    def set_times(self, cid, **times):
        Consultation.objects(id=cid).update_one(**{f"set__{k}": v for k, v in times.items()})

    def unannounced(self, stage, before):
        """Consultations whose opening (stage 1) or closing (stage 2) time has passed unannounced."""
        field = "opens_at" if stage == 1 else "closes_at"  # ISO UTC strings order as times do
        return list(Consultation.objects(announced__lt=stage, **{f"{field}__lte": before}))

    def announce(self, consultation, stage, events):
        pending = consultation.outbox + events
        return Consultation.objects(id=consultation.id, rev=consultation.rev, announced__lt=stage).update_one(
            set__announced=stage, set__outbox=pending, set__outbox_pending=len(pending), inc__rev=1)

    # -- inputs ---------------------------------------------------------------------------------
    def add_input(self, consultation, iid, data, fingerprint, submitted_by, events):
        """Returns (input, created); the same fingerprint in the same consultation is stored once."""
        item = Input(id=iid, consultation_id=consultation["id"],
                     plan_id=consultation["plan_id"], fingerprint=fingerprint, submitted_at=now_iso(),
                     submitted_by=submitted_by, **data)
        item.outbox = events
        item.outbox_pending = len(events)
        try:
            item.save(force_insert=True)
            return item.as_dict(), True
        except NotUniqueError:
            existing = Input.objects(consultation_id=consultation["id"], fingerprint=fingerprint).first()
            return existing.as_dict(), False

    def input(self, iid):
        found = Input.objects(id=iid).first() if isinstance(iid, str) else None
        if found is None:
            raise NotFound(f"No input {iid!r}.")
        return found

    def inputs(self, consultation_id=None, plan_id=None, **filters):
        query = {k: v for k, v in filters.items() if v is not None}
        if consultation_id:
            query["consultation_id"] = consultation_id
        if plan_id:
            query["plan_id"] = plan_id
        return [i.as_dict() for i in Input.objects(**query).order_by("submitted_at", "id")]

    def decide(self, item, decision, seq, events):
        """Record decision number ``seq`` with compare-and-set; the previous one goes to the history."""
        history = item.history + ([item.decision] if item.decision else [])
        pending = item.outbox + events
        return Input.objects(id=item.id, rev=item.rev).update_one(
            set__decision=decision, set__decision_seq=seq, set__history=history, set__outbox=pending,
            set__outbox_pending=len(pending), inc__rev=1)

    def moderate(self, iid, moderation):
        Input.objects(id=iid).update_one(set__moderation=moderation, set__moderated_at=now_iso())

    # -- the bank of needs, capacities and opportunities -----------------------------------------
    def add_bank_record(self, plan_id, record, created_by, rid=None, fingerprint=None):
        """Returns (the record, created), as ``create``."""
        found = BankRecord(id=rid or "bnk_" + secrets.token_hex(6), plan_id=plan_id, created_at=now_iso(),
                           created_by=created_by, fingerprint=fingerprint, **record)
        try:
            found.save(force_insert=True)
        except NotUniqueError:
            return self.keyed("bank", rid), False
        return found.as_dict(), True

    def bank(self, plan_id):
        return [r.as_dict() for r in BankRecord.objects(plan_id=plan_id).order_by("created_at", "id")]


KEYED = {"consultation": Consultation, "bank": BankRecord}


class ConsultationStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def make_dependency(self):
        return Consultations()
