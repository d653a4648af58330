"""Every query the services make is backed by an index their models declare, and the store makes
those indexes.

The queries are read from the stores' source (``services/<name>/dependencies.py``): each filter of
``Model.objects(...)`` and of a raw ``find``/``find_one``/``update_one`` on a model's collection.
A query is backed when it names ``_id`` or the leading field of a declared index. A filter built
at run time is listed in DYNAMIC with the fields it always holds, so a new one fails here until
someone looks at it. Reading a whole collection (``Model.objects.order_by(...)``: every
municipality, every token) is a listing, not a lookup, and is not checked.
"""
import ast
import importlib
import inspect

import pytest

from shared import config, mongo

SERVICES = list(config.SERVICES)
RAW_METHODS = {"find", "find_one", "update_one", "update_many", "delete_many", "count_documents",
               "find_one_and_update"}

# (service, function) -> the fields each filter it builds always holds
DYNAMIC = {
    ("consultation", "inputs"): [{"consultation_id"}, {"plan_id"}],   # one or the other, by the caller
    ("monitoring", "_models"): [{"plan_id"}, {"_id"}],   # a plan's models, or some versions of it by id
    ("monitoring", "carries"): [{"plan_id"}, set()],       # a plan's carries, or every one (the timer's few)
}
# (collection, field): why no index may stand behind it
UNINDEXED = {
    ("plan_heads", "members"): "the embedded store mis-answers equality on indexed arrays (models.PlanHead)",
    ("plan_heads", "counts_from"): "the same, and the heads are few and small (models.PlanHead)",
}


def models_of(service):
    return importlib.import_module(f"services.{service}.models")


def documents(service):
    module = models_of(service)
    return {name: value for name, value in vars(module).items() if value in module.DOCUMENTS}


def field_of(keyword):
    name = keyword.split("__")[0]
    return "_id" if name in ("id", "pk") else name


def unwrapped(node):
    """The filter inside ``indexable(Model, filter)``, or the node itself."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "indexable" and len(node.args) == 2:
        return node.args[1]
    return node


def literal_keys(node, assigned):
    """The keys of a filter written as a dict literal (directly or through a local name), or None."""
    node = unwrapped(node)
    if isinstance(node, ast.Name):
        node = unwrapped(assigned.get(node.id))
    if not isinstance(node, ast.Dict) or not all(isinstance(k, ast.Constant) for k in node.keys):
        return None
    return [k.value for k in node.keys]


def filters(keys):
    """A raw filter's field sets: one, or one per branch of an $or."""
    return [{field_of(k) for k in keys if not k.startswith("$")}]


def model_name(node, collections):
    """``Model`` of ``Model.objects`` / ``Model._get_collection()`` / a local name bound to the latter."""
    if isinstance(node, ast.Name):
        return collections.get(node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_get_collection":
        return getattr(node.func.value, "id", None)
    return None


def functions(source):
    """(function, {local name: the value last assigned to it}) of every function in ``source``."""
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, ast.FunctionDef):
            yield function, {node.targets[0].id: node.value for node in ast.walk(function)
                             if isinstance(node, ast.Assign) and len(node.targets) == 1
                             and isinstance(node.targets[0], ast.Name)}


def queries(service):
    """(function, model name or None, [field sets]) of every filtered query in the service's store."""
    source = inspect.getsource(importlib.import_module(f"services.{service}.dependencies"))
    found = []
    for function, assigned in functions(source):
        collections = {name: model for name, value in assigned.items() if (model := model_name(value, {}))}
        for node in ast.walk(function):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr == "objects":   # Model.objects(...)
                owner = getattr(node.func.value, "id", None)
                spread = [k for k in node.keywords if k.arg is None]
                named = [k.arg for k in node.keywords if k.arg not in (None, "__raw__")]
                raw = [k.value for k in node.keywords if k.arg == "__raw__"]
                if raw:   # {"$or": [branch, ...]}, or one branch
                    written = raw[0] if isinstance(raw[0], ast.Dict) else None
                    keys = [getattr(k, "value", None) for k in written.keys] if written else []
                    branches = written.values[0].elts if keys == ["$or"] else [written] if written else []
                    sets = [field_set for branch in branches for field_set in filters(literal_keys(branch, {}))]
                elif spread:   # what is spread only narrows the named fields, which are always there
                    keys = literal_keys(spread[0].value, assigned) or []
                    sets = [{field_of(k) for k in keys + named}] if keys or named else None
                else:
                    sets = [{field_of(k) for k in named}]
                found.append((function.name, owner, sets, bool(raw)))
            elif node.func.attr in RAW_METHODS and model_name(node.func.value, collections) and node.args:
                keys = literal_keys(node.args[0], assigned)
                found.append((function.name, model_name(node.func.value, collections),
                              None if keys is None else filters(keys), False))
    return found


def bare_equalities(source):
    """(function, field) of every raw filter in ``source`` that compares a field to a bare value
    without going through ``shared.mongo.indexable``: the embedded store reads such a filter as
    "equal, or an array holding it" and answers it by reading the whole collection. A filter on
    ``_id`` is answered by that column first, whatever else it compares."""
    found = []
    for function, assigned in functions(source):
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in RAW_METHODS and node.args):
                continue
            query = node.args[0]
            if isinstance(query, ast.Name) and query.id in assigned:
                query = assigned[query.id]
            if unwrapped(query) is not query or not isinstance(query, ast.Dict):
                continue   # through indexable, or not a literal (listed by the test above)
            keys = [key.value for key in query.keys if isinstance(key, ast.Constant)]
            if "_id" not in keys:
                found += [(function.name, key) for key, value in zip(keys, query.values)
                          if not key.startswith("$") and not isinstance(value, ast.Dict)]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_raw_filters_compare_fields_in_the_form_the_store_indexes(service):
    assert bare_equalities(inspect.getsource(importlib.import_module(f"services.{service}.dependencies"))) == []


def test_a_bare_equality_in_a_raw_filter_is_found():
    source = """def f(c, p, k):
    c.find({"plan_id": p, "n": {"$gt": 1}})
    c.find({"_id": k, "rev": 2})
    c.find(indexable(D, {"plan_id": p}))
    query = {"status": "open"}
    c.find_one(query)
"""
    assert bare_equalities(source) == [("f", "plan_id"), ("f", "status")]


def leading_fields(document):
    return {spec["fields"][0][0] for spec in document._meta["index_specs"]} | {"_id"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_query_of_the_service_is_backed_by_a_declared_index(service):
    models = documents(service)
    listed, dynamic = 0, set()
    for function, owner, sets, either in queries(service):
        if sets is None:
            assert (service, function) in DYNAMIC, f"{service}.{function}: a filter built at run time; list it"
            sets = DYNAMIC[(service, function)]
            dynamic.add((service, function))
        for fields in sets:
            if not fields:
                continue   # Model.objects() with no filter: every document
            listed += 1
            if "_id" in fields:
                continue
            assert owner in models, f"{service}.{function}: a query on {owner}, which is none of its models"
            document = models[owner]
            collection = document._meta["collection"]
            fields = {f for f in fields if (collection, f) not in UNINDEXED} if either else fields
            if either and not fields:
                continue
            assert fields & leading_fields(document), \
                f"{service}.{function}: {collection} by {sorted(fields)} has no index declared in {owner}.meta"
    assert listed > 0
    assert dynamic == {key for key in DYNAMIC if key[0] == service}, "DYNAMIC lists a query no longer there"


@pytest.mark.parametrize("service", SERVICES)
def test_what_the_shared_store_helpers_query_is_indexed_in_every_service(service):
    module = models_of(service)
    for document in module.OUTBOXES:   # shared.outbox.pending: outbox_pending > 0
        assert "outbox_pending" in leading_fields(document), document.__name__
    by_collection = {d._meta["collection"]: d for d in module.DOCUMENTS}
    store = importlib.import_module(f"services.{service}.service")
    if "forget_old_windows" in inspect.getsource(store):   # shared.ratelimit: rate_windows by window
        assert "window" in leading_fields(by_collection["rate_windows"]), service


def test_the_listing_finds_the_queries_it_checks():
    found = {(function, owner): sets for function, owner, sets, _ in queries("monitoring")}
    assert found[("child_plans", "PlanModel")] == [{"parent_plan"}]
    assert found[("open_alerts", "Alert")] == [{"plan_id", "status"}]
    assert found[("readings", "Sheet")] == [{"plan_id"}]   # the literal the filter starts from
    assert {(f, o): s for f, o, s, _ in queries("consultation")}[("inputs", "Input")] is None   # DYNAMIC
    consultation = {(function, owner): sets for function, owner, sets, _ in queries("consultation")}
    assert consultation[("unannounced", "Consultation")] == [{"announced"}]
    registry = {(function, owner): sets for function, owner, sets, _ in queries("plan_registry")}
    assert registry[("_with_event", "document")] == [{"_id"}]   # whichever document: by its id
    heads = [(sets, either) for function, owner, sets, either in queries("plan_registry") if function == "heads"]
    assert sorted(heads, key=lambda h: len(h[0])) == [([{"coordinator"}], False), ([{"members"}, {"coordinator"}], True)]
    assert registry[("latest", "PlanVersion")] == [{"plan_id"}]


@pytest.fixture(scope="module")
def databases(store_uri, run_id):
    for service in SERVICES:
        mongo.connect(service, f"ortak_{run_id}_indexes_{service}", store_uri)
    yield
    for service in SERVICES:
        mongo.disconnect(service)


@pytest.mark.parametrize("service", SERVICES)
def test_the_store_makes_every_declared_index(databases, service):
    for document in models_of(service).DOCUMENTS:
        document.drop_collection()
        document.ensure_indexes()
        made = [list(index["key"]) for index in document._get_collection().list_indexes()]
        for spec in document._meta["index_specs"]:
            assert [name for name, _ in spec["fields"]] in made, (document.__name__, spec)
