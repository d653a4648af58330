"""Monitoring's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.migrations import Step, backfill

from .models import Alert, Reading

STEPS = (
    # overdue alerts brought kinds; a query by kind (the episode count) misses an alert without one
    Step(1, "alerts have a kind and missing periods",
         backfill(Alert._meta["collection"], kind="below_threshold", periods=[])),
    # four eyes brought each reading's trail; readings.py reads a missing one as empty
    Step(2, "readings have a trail", backfill(Reading._meta["collection"], trail=[])),
)
