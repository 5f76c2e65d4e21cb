"""`inventory_download(is_partial=True)`: the partial update behind an inventory push."""

import pytest

from sync.models import RunState
from tests.sync.download_fixtures import make_download_setup
from warehouses.connectors.memory import memory_warehouse_store_reset

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    setup = make_download_setup()
    for sku, quantity in (("A", 10), ("B", 20), ("C", 30)):
        setup.wms.set_stock(sku, quantity)
    assert setup.download().state == RunState.SUCCEEDED
    yield setup
    memory_warehouse_store_reset()


def test_partial_download_updates_only_the_reported_skus_and_flags_no_other_product(loaded):
    loaded.wms.clear_stock()
    loaded.wms.set_stock("A", 0)  # 1 of 3 products to 0, 2 of 3 "vanish": a full run is held

    run = loaded.download(is_partial=True)

    assert run.state == RunState.SUCCEEDED
    assert run.records_changed == 1
    assert loaded.available() == {("", "A"): 0, ("", "B"): 20, ("", "C"): 30}
    assert not loaded.merchant.products.filter(not_reported_since__isnull=False).exists()


def test_full_download_of_the_same_records_is_still_held(loaded):
    loaded.wms.clear_stock()
    loaded.wms.set_stock("A", 0)

    run = loaded.download()

    assert run.state == RunState.HELD
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
