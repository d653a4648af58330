"""shared.mongo.indexable: the filters the services send, in the form the store's indexes answer."""
import mongoengine as me

from shared import mongo


class Sample(mongo.Document):
    meta = {"db_alias": "sample", "collection": "samples"}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField()
    count = me.IntField()
    share = me.FloatField()
    open = me.BooleanField()
    tags = me.ListField(me.StringField())
    extra = me.DictField()


def test_single_valued_fields_are_compared_with_eq():
    assert mongo.indexable(Sample, {"plan_id": "p", "count": 0, "share": 1.5, "open": True}) == {
        "plan_id": {"$eq": "p"}, "count": {"$eq": 0}, "share": {"$eq": 1.5}, "open": {"$eq": True}}


def test_ids_operators_arrays_dicts_nulls_and_unknown_fields_are_left_as_they_are():
    query = {"_id": "x", "count": {"$gt": 1}, "tags": "t", "extra": {"a": 1}, "plan_id": None, "status": "open",
             "extra.code": "c", "share": [1.0]}
    assert mongo.indexable(Sample, query) == query


def test_branches_of_and_or_nor_are_rewritten_too():
    assert mongo.indexable(Sample, {"$or": [{"plan_id": "p"}, {"tags": "t"}], "$and": [{"count": 2}]}) == {
        "$or": [{"plan_id": {"$eq": "p"}}, {"tags": "t"}], "$and": [{"count": {"$eq": 2}}]}


def test_service_documents_know_their_single_valued_fields_and_query_through_indexable():
    from services.monitoring.models import Approval, Sheet
    assert {"plan_id", "municipality", "period"} <= mongo.single_fields(Sheet)
    assert "readings" not in mongo.single_fields(Approval) and "applied" in mongo.single_fields(Approval)
    assert Approval._meta["queryset_class"] is mongo.IndexedQuerySet
