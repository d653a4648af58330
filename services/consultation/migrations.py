"""Consultation's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.migrations import Step, backfill

from .models import Input

STEPS = (
    # moderation came after the first inputs; domain.public_view reads a missing one as pending
    Step(1, "inputs have a moderation", backfill(Input._meta["collection"], moderation="pending")),
)
