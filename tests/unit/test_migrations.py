"""The migration registries: one per service, numbered 1, 2, ... with no gap or repeat."""
import pytest

from ops import migrate
from shared import config
from shared.migrations import Step, in_order


def test_every_service_has_steps_numbered_in_order():
    for service in config.SERVICES:
        steps = migrate.steps(service)
        assert in_order(steps) == list(steps), service
        assert all(isinstance(step, Step) and step.name for step in steps)
    assert len(migrate.steps("monitoring")) >= 1


@pytest.mark.parametrize("numbers", [[2], [1, 3], [1, 1], [2, 1]])
def test_steps_out_of_order_are_refused(numbers):
    with pytest.raises(ValueError):
        in_order([Step(n, f"s{n}", lambda database: {}) for n in numbers])
