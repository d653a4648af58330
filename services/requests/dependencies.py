"""The requests service's store: the small interface its service needs, over mongoengine."""

from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from shared.clock import now_iso
from shared.errors import NotFound
from shared.mongo import MongoStore, ServiceStore

from .models import ALIAS, DOCUMENTS, OUTBOXES, QualityDue, QualityPlan, Service, ServiceRequest

MAX_LISTED = 1000


class Requests(ServiceStore):
    alias = ALIAS
    outboxes = OUTBOXES

    # -- the catalogue --------------------------------------------------------------------------
    def put_service(self, municipality, code, data, change):
        """Create or replace a catalogue entry; returns True when it was new."""
        key = f"{municipality}:{code}"
        fields = {**data, "public": int(data["public"]), "updated_at": now_iso()}
        existing = Service.objects(id=key).first()
        if existing is None:
            try:
                Service(id=key, municipality=municipality, code=code, history=[change], **fields).save(force_insert=True)
                return True
            except NotUniqueError:
                existing = Service.objects(id=key).first()
        Service.objects(id=key).update_one(**{f"set__{k}": v for k, v in fields.items()},
                                           set__history=existing.history + [change])
        return False

    def service(self, municipality, code):
        found = Service.objects(id=f"{municipality}:{code}").first() if isinstance(code, str) else None
        return found.as_dict() if found else None

    def services(self, municipality):
        return [s.as_dict() for s in Service.objects(municipality=municipality).order_by("code")]

    # -- requests -------------------------------------------------------------------------------
    def file(self, rid, data, events):
        """Store a new request with its filing events; returns (request, created). A row imported
        again (same municipality and fingerprint) is stored once."""
        item = ServiceRequest(id=rid, **{"fingerprint": rid, **data})
        item.outbox = events
        item.outbox_pending = len(events)
        try:
            item.save(force_insert=True)
            return item, True
        except NotUniqueError:
            return ServiceRequest.objects(municipality=data["municipality"],
                                          fingerprint=data["fingerprint"]).first(), False

    def request(self, rid):
        found = ServiceRequest.objects(id=rid).first() if isinstance(rid, str) else None
        if found is None:
            raise NotFound(f"No service request {rid!r}.")
        return found

    def change(self, item, fields, entry, events):
        """Compare-and-set on the request's revision: the change, its audit entry and its events
        in one write. False when someone changed it first."""
        pending = item.outbox + events
        return bool(ServiceRequest.objects(id=item.id, rev=item.rev).update_one(
            **{f"set__{k}": v for k, v in fields.items()}, set__history=item.history + [entry],
            set__outbox=pending, set__outbox_pending=len(pending), inc__rev=1))

    def requests(self, municipality, since=None, until=None, codes=None, ids=None, limit=MAX_LISTED):
        """Newest first; ``since``/``until`` are ISO strings (which order as times do)."""
        query = {"municipality": municipality}
        if since:
            query["requested_at__gte"] = since
        if until:
            query["requested_at__lte"] = until
        if codes:
            query["service_code__in"] = list(codes)
        if ids:
            query["id__in"] = list(ids)
        return [r.as_dict() for r in ServiceRequest.objects(**query).order_by("-requested_at").limit(limit)]

    def timings(self, municipality, until):
        """(service_code, requested_at, closed_at) of every request received up to ``until``."""
        return [{"service_code": r.service_code, "requested_at": r.requested_at, "closed_at": r.closed_at,
                 "neighbourhood": r.neighbourhood}
                for r in ServiceRequest.objects(municipality=municipality, requested_at__lte=until)
                .only("service_code", "requested_at", "closed_at", "neighbourhood")]

    # -- service quality submitted by itself ---------------------------------------------------
    def keep_quality_plan(self, plan_id, version, view):
        """The plan's quality view (None: it names no figure any more); an older version never
        replaces a newer one."""
        collection = QualityPlan._get_collection()
        if view is None:
            collection.delete_one({"_id": plan_id, "version": {"$lte": version}})
            return
        try:
            collection.update_one({"_id": plan_id, "version": {"$lte": version}},
                                  {"$set": {"version": version, "municipalities": view["municipalities"],
                                            "view": view}}, upsert=True)
        except DuplicateKeyError:
            pass   # a newer version is kept already

    def quality_plans(self, municipality):
        return [doc["view"] for doc in QualityPlan._get_collection().find({"municipalities": {"$in": [municipality]}})]

    def mark_quality_due(self, municipality, period, due_from):
        mark_quality_due(QualityDue._get_collection(), municipality, period, due_from)

    def quality_due(self, now, limit=50):
        """Marks due by ``now`` (an ISO time: a day, the day after its half-year, is due from its
        start, as it sorts before every time of it); one marked before marks said when they are
        due is due at once."""
        return list(QualityDue._get_collection().find(
            {"dirty": {"$gt": 0}, "$or": [{"due_from": {"$lte": now}}, {"due_from": None}]}).limit(limit))

    def retry_quality_due(self, due, at):
        """A mark whose submission failed, due again ``at`` (an ISO time), unless marked meanwhile."""
        QualityDue._get_collection().update_one({"_id": due["_id"], "rev": due["rev"]}, {"$set": {"due_from": at}})

    def settle_quality_due(self, due, submitted):
        """Done with ``due`` as read; False when a change came meanwhile (it stays due)."""
        return QualityDue._get_collection().update_one(
            {"_id": due["_id"], "rev": due["rev"]},
            {"$set": {"dirty": 0, "submitted": submitted}, "$inc": {"rev": 1}}).modified_count == 1


def mark_quality_due(collection, municipality, period, due_from):
    """The half-year's figures to be submitted again, from ``due_from`` (an ISO day: once it has
    ended)."""
    collection.update_one(
        {"_id": f"{municipality}:{period}"},
        {"$inc": {"dirty": 1, "rev": 1}, "$set": {"due_from": due_from},
         "$setOnInsert": {"municipality": municipality, "period": period, "submitted": {}}}, upsert=True)


class RequestStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def make_dependency(self):
        return Requests()
