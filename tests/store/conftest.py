import pytest

from services.monitoring.dependencies import Monitoring
from services.monitoring.models import ALIAS, Approval
from shared import mongo


@pytest.fixture
def monitoring_store(store_uri, run_id, request):
    """Monitoring's store on a database of the test module's own, dropped after the test."""
    name = f"ortak_{run_id}_{request.module.__name__.rsplit('.', 1)[-1]}"
    mongo.connect(ALIAS, name, store_uri)
    try:
        yield Monitoring()
    finally:
        Approval._get_collection().database.client.drop_database(name)
        mongo.disconnect(ALIAS)
