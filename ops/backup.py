"""Back up, restore and verify the data of one Ortak deployment: every service's database
(``<ORTAK_DB_PREFIX>_<service>``) in one archive.

    python -m ops.backup create [--out FILE] [--plan ID] [--uri URI] [--prefix PREFIX]
    python -m ops.backup restore FILE [--force] [--uri URI] [--prefix PREFIX]
    python -m ops.backup verify FILE [--against URI] [--prefix PREFIX]

The archive is a tar.gz of ``manifest.json`` and one ``<service>/<collection>.bson`` per
collection: the documents as raw BSON in ``_id`` order (the format of mongodump's .bson files),
so every type survives, byte for byte. The manifest names the time, the prefix, the plan (for a
plan's archive), and for each collection its count, the sha256 of its file and its indexes.

``--plan ID`` takes, from every service, the documents whose ``plan_id`` or ``_id`` is ID (the
plan, its versions, consultations, inputs, readings, figures, alerts ...), not municipalities or
tokens. On a replica set every collection is read in one snapshot (a consistent point in time
across the databases, if the backup takes less than MongoDB's snapshot window, 5 minutes by
default); elsewhere (the embedded store) collection by collection, so stop writes for an exact
copy.

``restore`` refuses a store that already holds data of the archive's scope (any document in
the deployment's databases, or for a plan's archive any document of that plan) unless
``--force``, which first removes that data. It recreates the indexes too: a service that is
running keeps its own once made, not after a database is dropped. ``--prefix`` restores into
another deployment's databases.

``verify`` checks every file against the manifest; with ``--against URI`` it also compares
the archive with that store (counts and checksums of the same documents). Exit status: 0 good,
1 a difference or a refusal, 2 usage.
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile

import bson
import bson.errors
import pymongo
from bson.raw_bson import RawBSONDocument

from shared import config

FORMAT = "ortak-backup/1"
MANIFEST = "manifest.json"
BATCH = 1000
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation")


class Refused(RuntimeError):
    pass


def database_name(prefix, service):
    return f"{prefix}_{service}"


def default_prefix():
    return config.env("ORTAK_DB_PREFIX", "ortak")


def scope(plan):
    """The filter of the documents an archive holds."""
    # $eq: a plan_id is one id, and the embedded store answers only that form from an index
    # (shared.mongo.indexable)
    return {} if plan is None else {"$or": [{"plan_id": {"$eq": plan}}, {"_id": plan}]}


def connect(uri):
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000, document_class=RawBSONDocument,
                               uuidRepresentation="standard", tz_aware=True)


def collection_names(database):
    return sorted(name for name in database.list_collection_names() if not name.startswith("system."))


def raw_documents(collection, plan, session=None):
    """(raw BSON batches) of the documents in scope, in _id order."""
    return collection.find_raw_batches(scope(plan), sort=[("_id", 1)], batch_size=BATCH, session=session)


def index_specs(collection):
    specs = []
    for index in collection.list_indexes():
        index = bson.decode(index.raw) if isinstance(index, RawBSONDocument) else dict(index)
        if index["name"] == "_id_":
            continue
        spec = {"name": index["name"], "key": [[field, direction] for field, direction in index["key"].items()]}
        spec.update({option: index[option] for option in INDEX_OPTIONS if option in index})
        specs.append(spec)
    return specs


def _replica_set(client):
    return bool(client.admin.command("hello").get("setName"))


# --- create --------------------------------------------------------------------------------

def create(uri, out=None, plan=None, prefix=None, services=None):
    """Write the archive; returns (its path, the manifest)."""
    prefix = prefix or default_prefix()
    services = list(services or config.SERVICES)
    created_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if out is None:
        stamp = created_at.replace(":", "").replace("-", "")
        out = f"ortak-{prefix}-{stamp}" + (f"-plan-{plan}" if plan else "") + ".tar.gz"
    client = connect(uri)
    manifest = {"format": FORMAT, "created_at": created_at, "prefix": prefix, "plan": plan,
                "snapshot": False, "services": {}}
    tmp = out + ".partial"
    # the archive holds everything, token hashes included: readable by its owner only
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        session = client.start_session(snapshot=True) if _replica_set(client) else None
        manifest["snapshot"] = session is not None
        with tempfile.TemporaryDirectory() as work, tarfile.open(tmp, "w:gz") as archive:
            for service in services:
                database = client[database_name(prefix, service)]
                collections = {}
                for name in collection_names(database):
                    member = f"{service}/{name}.bson"
                    path = os.path.join(work, f"{service}.{name}.bson")
                    digest, count = hashlib.sha256(), 0
                    with open(path, "wb") as f:
                        for batch in raw_documents(database[name], plan, session):
                            f.write(batch)
                            digest.update(batch)
                            count += len(bson.decode_all(batch, bson.CodecOptions(document_class=RawBSONDocument)))
                    if plan is not None and count == 0:
                        os.remove(path)
                        continue
                    archive.add(path, arcname=member)
                    os.remove(path)
                    collections[name] = {"file": member, "count": count, "sha256": digest.hexdigest(),
                                         "indexes": index_specs(database[name])}
                manifest["services"][service] = {"database": database.name, "collections": collections}
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if session is not None:
            session.end_session()
        os.replace(tmp, out)
    finally:
        client.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    return out, manifest


# --- reading an archive --------------------------------------------------------------------

def read_manifest(archive):
    manifest = json.load(archive.extractfile(MANIFEST))
    if manifest.get("format") != FORMAT:
        raise Refused(f"not an Ortak backup of format {FORMAT}: {manifest.get('format')}")
    return manifest


def each_collection(manifest):
    for service, entry in manifest["services"].items():
        for name, collection in entry["collections"].items():
            yield service, name, collection


def member_bytes(archive, collection):
    return archive.extractfile(collection["file"]).read()


def count_documents(data):
    return sum(1 for _ in bson.decode_iter(data, bson.CodecOptions(document_class=RawBSONDocument)))


# --- verify --------------------------------------------------------------------------------

def verify(path, against=None, prefix=None):
    """Differences found (an empty list: the archive is whole, and equal to the store)."""
    problems = []
    with tarfile.open(path, "r:gz") as archive:
        manifest = read_manifest(archive)
        for service, name, collection in each_collection(manifest):
            try:
                data = member_bytes(archive, collection)
            except KeyError:
                problems.append(f"{collection['file']}: missing from the archive")
                continue
            if hashlib.sha256(data).hexdigest() != collection["sha256"]:
                problems.append(f"{collection['file']}: checksum differs from the manifest")
            try:
                count = count_documents(data)
            except bson.errors.InvalidBSON as exc:
                problems.append(f"{collection['file']}: not readable as BSON ({exc})")
                continue
            if count != collection["count"]:
                problems.append(f"{collection['file']}: {count} documents, the manifest says {collection['count']}")
    if against is not None:
        problems += compare(manifest, against, prefix or manifest["prefix"])
    return problems


def compare(manifest, uri, prefix):
    problems = []
    plan = manifest["plan"]
    client = connect(uri)
    try:
        for service, entry in manifest["services"].items():
            database = client[database_name(prefix, service)]
            live = set(collection_names(database))
            for name in sorted(live | set(entry["collections"])):
                digest, count = hashlib.sha256(), 0
                for batch in raw_documents(database[name], plan):
                    digest.update(batch)
                    count += count_documents(batch)
                expected = entry["collections"].get(name)
                if expected is None:
                    if count:
                        problems.append(f"{database.name}.{name}: {count} documents the archive does not have")
                elif count != expected["count"]:
                    problems.append(f"{database.name}.{name}: {count} documents, the archive has {expected['count']}")
                elif digest.hexdigest() != expected["sha256"]:
                    problems.append(f"{database.name}.{name}: same count, different documents")
    finally:
        client.close()
    return problems


# --- restore -------------------------------------------------------------------------------

def held(client, manifest, prefix):
    """Names of the collections of the target that hold data in the archive's scope."""
    found = []
    for service in manifest["services"]:
        database = client[database_name(prefix, service)]
        for name in collection_names(database):
            if database[name].find_one(scope(manifest["plan"]), projection={"_id": 1}) is not None:
                found.append(f"{database.name}.{name}")
    return found


def restore(path, uri, force=False, prefix=None):
    """Load the archive into the store at ``uri``; returns {"<database>.<collection>": count}."""
    problems = verify(path)
    if problems:
        raise Refused("the archive is damaged: " + "; ".join(problems))
    client = connect(uri)
    restored = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = read_manifest(archive)
            prefix = prefix or manifest["prefix"]
            occupied = held(client, manifest, prefix)
            if occupied and not force:
                what = f"plan {manifest['plan']}" if manifest["plan"] else f"the deployment {prefix}"
                raise Refused(f"the store already holds data of {what} ({', '.join(occupied[:5])}"
                              f"{' ...' if len(occupied) > 5 else ''}); restore with --force to replace it")
            if occupied:
                for service in manifest["services"]:
                    if manifest["plan"] is None:
                        client.drop_database(database_name(prefix, service))
                    else:
                        database = client[database_name(prefix, service)]
                        for name in collection_names(database):
                            database[name].delete_many(scope(manifest["plan"]))
            for service, name, collection in each_collection(manifest):
                target = client[database_name(prefix, service)][name]
                count = 0
                for chunk in chunks(bson.decode_file_iter(archive.extractfile(collection["file"]),
                                                          bson.CodecOptions(document_class=RawBSONDocument))):
                    target.insert_many(chunk, ordered=True)
                    count += len(chunk)
                create_indexes(target, collection["indexes"])
                restored[f"{target.database.name}.{name}"] = count
    finally:
        client.close()
    return restored


def chunks(documents, size=BATCH):
    chunk = []
    for document in documents:
        chunk.append(document)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def create_indexes(collection, specs):
    for spec in specs:
        options = {option: spec[option] for option in INDEX_OPTIONS if option in spec}
        try:
            collection.create_index([tuple(k) for k in spec["key"]], name=spec["name"], **options)
        except pymongo.errors.OperationFailure as exc:
            # 85/86: the service made the same index already, under its own name or options
            if exc.code not in (85, 86):
                raise


# --- the command ---------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="write an archive of the deployment (or of one plan)")
    make.add_argument("--out", help="the archive's path (default: ortak-<prefix>-<time>.tar.gz here)")
    make.add_argument("--plan", help="only the documents of this plan, from every service")
    load = commands.add_parser("restore", help="load an archive into an empty store")
    load.add_argument("archive")
    load.add_argument("--force", action="store_true", help="replace the data the store holds in the archive's scope")
    check = commands.add_parser("verify", help="check an archive, and compare it with a store")
    check.add_argument("archive")
    check.add_argument("--against", metavar="URI", help="a store to compare the archive with")
    for sub in (make, load, check):
        sub.add_argument("--prefix", help="the deployment's ORTAK_DB_PREFIX (default: the environment's, or "
                                          "for restore and verify the archive's)")
    for sub in (make, load):
        sub.add_argument("--uri", help="the store (default: MONGODB_URI or MONGODB_URI_FILE)")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            path, manifest = create(args.uri or config.mongodb_uri(), args.out, args.plan, args.prefix)
            total = sum(c["count"] for _, _, c in each_collection(manifest))
            print(f"{path}: {total} documents in {sum(1 for _ in each_collection(manifest))} collections "
                  f"of {', '.join(manifest['services'])}" + (f", plan {args.plan}" if args.plan else "")
                  + ("" if manifest["snapshot"] else " (read collection by collection, not as one snapshot)"))
            return 0
        if args.command == "restore":
            restored = restore(args.archive, args.uri or config.mongodb_uri(), args.force, args.prefix)
            print(f"restored {sum(restored.values())} documents into {len(restored)} collections")
            return 0
        problems = verify(args.archive, args.against, args.prefix)
        for problem in problems:
            print(problem)
        print(f"{args.archive}: " + ("differences found" if problems else
                                     "whole" + (" and equal to the store" if args.against else "")))
        return 1 if problems else 0
    except (Refused, config.ConfigurationError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
