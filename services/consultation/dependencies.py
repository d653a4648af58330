"""The consultation service's store: the small interface its service needs, over mongoengine."""
import secrets

from mongoengine.errors import NotUniqueError

from shared.clock import now_iso
from shared.errors import NotFound
from shared.mongo import MongoStore, ServiceStore, keep_newest

from .models import ALIAS, DOCUMENTS, OUTBOXES, Consultation, Input, PlanView, Register


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
    def create(self, data):
        """Its events (opened, closed) are added by the timer when its times come."""
        consultation = Consultation(id="c_" + secrets.token_hex(6), created_at=now_iso(), **data)
        consultation.save(force_insert=True)
        return consultation.as_dict()

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
    def add_input(self, consultation, data, fingerprint, submitted_by, event_factory):
        """Returns (input, created); the same fingerprint in the same consultation is stored once."""
        item = Input(id="i_" + secrets.token_hex(6), consultation_id=consultation["id"],
                     plan_id=consultation["plan_id"], fingerprint=fingerprint, submitted_at=now_iso(),
                     submitted_by=submitted_by, **data)
        item.outbox = event_factory(item.id)
        item.outbox_pending = len(item.outbox)
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

    def decide(self, item, decision, event_factory):
        """Record a decision with compare-and-set; the previous one goes to the history."""
        seq = item.decision_seq + 1
        history = item.history + ([item.decision] if item.decision else [])
        pending = item.outbox + event_factory(seq)
        return Input.objects(id=item.id, rev=item.rev).update_one(
            set__decision=decision, set__decision_seq=seq, set__history=history, set__outbox=pending,
            set__outbox_pending=len(pending), inc__rev=1), seq

    # -- stakeholder register -------------------------------------------------------------------
    def register(self, plan_id):
        found = Register.objects(id=plan_id).first()
        return found.stakeholders if found else []

    def put_register(self, plan_id, stakeholders):
        Register.objects(id=plan_id).update_one(upsert=True, set__stakeholders=stakeholders,
                                                set__updated_at=now_iso())

class ConsultationStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def make_dependency(self):
        return Consultations()
