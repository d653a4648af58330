"""The registry's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.migrations import Step, backfill

from .models import Municipality, Person, Token

OUTBOX = {"outbox": [], "outbox_pending": 0, "rev": 0}

STEPS = (
    # cooperation bodies brought members; municipalities stored before them have none
    Step(1, "municipalities have members", backfill(Municipality._meta["collection"], members=[])),
    # tokens and people got an outbox (their revocation and disabling leave as events); those stored
    # before have no revision, which Registry._with_event matches as null
    Step(2, "tokens and people have an outbox", lambda database: {
        **backfill(Token._meta["collection"], **OUTBOX)(database),
        **backfill(Person._meta["collection"], **OUTBOX)(database)}),
)
