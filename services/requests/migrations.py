"""The requests service's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.clock import utcnow
from shared.migrations import Step

from . import domain
from .dependencies import mark_quality_due
from .models import QualityDue, QualityPlan


def mark_the_half_years_again(database):
    """Service-quality half-years were marked from the service's own request events, whose queues
    this release retires (ops.topology.RETIRED) with what they still held: every half-year begun of
    every plan measuring requests is marked, as its adoption did. A mark too many submits the same
    figures, which are skipped."""
    dues, changed = database[QualityDue._meta["collection"]], 0
    today = utcnow().date()
    for doc in database[QualityPlan._meta["collection"]].find({}, {"view": 1}):
        for municipality in doc["view"]["municipalities"]:
            for period, due_from in domain.half_years_begun(doc["view"], today).items():
                mark_quality_due(dues, municipality, period, due_from)
                changed += 1
    return {f"{QualityDue._meta['collection']}:marked": changed}


STEPS = (
    Step(1, "service-quality half-years marked again, their event queues retired", mark_the_half_years_again),
)
