"""Write docs/events.md from the event catalogue (shared/catalogue.py): run it after changing an
event; a unit test holds the file equal to what this writes.

    python -m ops.events_doc
"""
import os

from marshmallow import fields

from shared.catalogue import CATALOGUE

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "events.md")
HEAD = """# Events

Generated from `shared/catalogue.py` by `python -m ops.events_doc`; do not edit by hand.

Every event travels in one envelope (`shared/events.py`): `event_id`, `type`, `schema_version`,
`occurred_at`, `producer`, `plan_id`, `municipality`, `actor`, `request_id` (the request that caused
it, for following it through the logs), `payload`. Each is published on the
producer's topic exchange `<producer>.events` with its type as the routing key, through an outbox
written with the change it describes; each consumer handles it once (an inbox keyed by event id)
and loads the payload through the schema below (the fields named must be there; more are kept).
An event with no consumer in Ortak is published for outside listeners: bind a queue to
`<producer>.events` with the event type as routing key.
"""


def _type(field):
    if isinstance(field, fields.Nested):
        return "object"
    if isinstance(field, fields.List):
        return f"list of {_type(field.inner)}"
    return {fields.String: "string", fields.Integer: "integer", fields.Dict: "object"}.get(type(field), "value")


def _fields(schema):
    shown = []
    for name, field in schema().fields.items():
        marks = ("" if field.required else "?") + (" or null" if field.allow_none else "")
        shown.append(f"`{name}`{marks} ({_type(field)})")
    return ", ".join(shown)


def render():
    lines = [HEAD]
    for producer in dict.fromkeys(e.producer for e in CATALOGUE.values()):
        lines.append(f"\n## {producer}\n\n| event | meaning | consumers | payload |\n|---|---|---|---|")
        for event in (e for e in CATALOGUE.values() if e.producer == producer):
            consumers = ", ".join([f"`{c}`" for c in event.consumers] + list(event.listeners)) or "outside listeners"
            lines.append(f"| `{event.type}` | {event.meaning} | {consumers} | {_fields(event.payload)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(render())
    print(f"wrote {DOC}")
