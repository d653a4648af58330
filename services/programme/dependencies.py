"""The programme service's store: the small interface its service needs, over mongoengine."""

from mongoengine.errors import NotUniqueError

from shared.errors import Conflict, NotFound
from shared.mongo import MongoStore, ServiceStore, keep_newest

from .models import ALIAS, DOCUMENTS, OUTBOXES, Adoption, PlanView, Project

MAX_LISTED = 2000


class Programme(ServiceStore):
    alias = ALIAS
    outboxes = OUTBOXES

    # -- the plans' read model ----------------------------------------------------------------------
    def keep_plan(self, view, version):
        """Keep the newest adopted version; a late or repeated event never moves it back."""
        keep_newest(PlanView, view["id"], "version", version, view=view)

    def plan(self, plan_id):
        found = PlanView.objects(id=plan_id).first() if isinstance(plan_id, str) else None
        return found.view if found else None

    # -- projects -----------------------------------------------------------------------------------
    def register(self, plan_id, pid, data, fields, entry, events, keyed=False):
        """(the project, True): a new project with its first version, audit entry and events, in one
        write; (the stored one, False) when ``pid`` (``keyed``: an Idempotency-Key's) was registered
        already."""
        item = Project(id=pid, plan_id=plan_id, code=data["code"],
                       municipality=data["municipality"], data=data, history=[entry], **fields)
        item.outbox = events
        item.outbox_pending = len(events)
        try:
            item.save(force_insert=True)
        except NotUniqueError:
            earlier = Project.objects(id=pid).first() if keyed else None
            if earlier is not None:   # a concurrent retry of the same key came first
                return earlier, False
            raise Conflict(f"Plan {plan_id} has a project {data['code']!r} already.",
                           {"code": ["Taken in this plan."]}) from None
        return item, True

    def keyed(self, pid):
        """The project an Idempotency-Key registered, or None."""
        return Project.objects(id=pid).first()

    def project(self, pid):
        found = Project.objects(id=pid).first() if isinstance(pid, str) else None
        if found is None:
            raise NotFound(f"No project {pid!r}.")
        return found

    def code_taken(self, plan_id, code, other_than):
        return any(p.id != other_than for p in Project.objects(plan_id=plan_id, code=code))

    def change(self, item, fields, entry, events):
        """Compare-and-set on the project's revision: the change, its audit entry and its events in
        one write. False when someone changed it first."""
        pending = item.outbox + events
        return bool(Project.objects(id=item.id, rev=item.rev).update_one(
            **{f"set__{k}": v for k, v in fields.items()}, set__history=item.history + ([entry] if entry else []),
            set__outbox=pending, set__outbox_pending=len(pending), inc__rev=1))

    def projects(self, plan_id, municipality=None):
        query = {"plan_id": plan_id}
        if municipality:
            query["municipality"] = municipality
        return list(Project.objects(**query).limit(MAX_LISTED))

    def all_projects(self):
        return Project.objects()


    # -- the programme's adoption ----------------------------------------------------------------------
    @staticmethod
    def _adoption_id(plan_id, year, municipality):
        return f"{plan_id}:{year}:{municipality or 'plan'}"

    def adopt(self, plan_id, year, municipality, decision, entry, event):
        """Record the decision (replacing an earlier one, kept in the history) with its event, in one write."""
        aid = self._adoption_id(plan_id, year, municipality)
        found = Adoption.objects(id=aid).first()
        if found is None:
            item = Adoption(id=aid, plan_id=plan_id, year=year, municipality=municipality, decision=decision,
                            history=[entry], outbox=[event], outbox_pending=1)
            try:
                item.save(force_insert=True)
                return
            except NotUniqueError:
                pass
        elif Adoption.objects(id=aid, rev=found.rev).update_one(
                set__decision=decision, set__history=found.history + [entry], set__outbox=found.outbox + [event],
                set__outbox_pending=len(found.outbox) + 1, inc__rev=1):
            return
        raise Conflict("The programme was adopted by someone else at the same moment; read it and try again.")

    def adoption(self, plan_id, year, municipality):
        found = Adoption.objects(id=self._adoption_id(plan_id, year, municipality)).first()
        return dict(found.decision) if found else None


class ProgrammeStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def make_dependency(self):
        return Programme()
