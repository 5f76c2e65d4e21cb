"""The set-based download's own mechanics (sync.services.download_staging): the copy of the
current levels it compares with, the duplicate check folded into the per-SKU aggregate, the
warehouse slots and the staged times. The rules themselves are in test_download_rules.py."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction
from django.utils import timezone as django_timezone

from sync.models import RunState, SyncRun
from sync.services.download_staging import SLOT_BITS, DownloadStaging, epoch_us
from tests.factories import UserFactory
from tests.sync.download_fixtures import make_download_setup
from warehouses.connectors.memory import memory_warehouse_store_reset
from warehouses.models import InventoryLevel, InventoryLevelChange, Product, Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    yield make_download_setup()
    memory_warehouse_store_reset()


def test_reload_writes_changed_new_and_moved_levels_and_skips_the_same_ones(setup):
    setup.wms.set_stock("A", 10)
    setup.wms.set_stock("B", 20)
    setup.wms.set_stock("B", 5, warehouse_code="NORTH")
    setup.download()
    loaded_at = {
        (level.warehouse.external_code, level.product.sku): level.loaded_at
        for level in InventoryLevel.objects.select_related("warehouse", "product")
    }
    setup.wms.update_stock("A", quantity_on_hand=11)  # changed
    setup.wms.set_stock("A", 3, warehouse_code="NORTH")  # new level of a known product
    setup.wms.set_stock("C", 7, warehouse_code="SOUTH")  # new product in a new warehouse

    run = setup.download()

    assert (run.state, run.records_read, run.records_changed) == (RunState.SUCCEEDED, 5, 3)
    assert setup.available() == {
        ("", "A"): 11,
        ("", "B"): 20,
        ("NORTH", "A"): 3,
        ("NORTH", "B"): 5,
        ("SOUTH", "C"): 7,
    }
    # The unchanged levels are not rewritten.
    for code, sku in (("", "B"), ("NORTH", "B")):
        level = InventoryLevel.objects.get(product__sku=sku, warehouse__external_code=code)
        assert level.loaded_at == loaded_at[(code, sku)]
    # History: the changed level's first figure and its new one; new levels have none.
    assert sorted(
        InventoryLevelChange.objects.values_list(
            "product__sku", "warehouse__external_code", "quantity_on_hand", "run_id"
        )
    ) == [("A", "", 10, None), ("A", "", 11, run.pk)]

    again = setup.download()

    assert (again.state, again.records_changed) == (RunState.SUCCEEDED, 0)


def _default_warehouse(merchant) -> Warehouse:
    return Warehouse.objects.get(merchant=merchant, is_default=True)


def _copy_line(sku: str, quantity: int) -> str:
    return f"0\t{sku}\t\t{quantity}\t{quantity}\t\\N\t\\N\t\\N\n"


def test_a_product_deleted_after_the_levels_were_copied_gets_its_levels_back(setup):
    """The copy of the current levels is only trusted while every product it saw is still
    there: a product deleted since (its levels go with it) is created again by the apply, and
    its levels must be written, not skipped as unchanged."""
    if connection.vendor != "postgresql":
        pytest.skip("The copy of the current levels is made on PostgreSQL only.")
    for sku, quantity in (("A", 10), ("B", 20), ("C", 30)):
        setup.wms.set_stock(sku, quantity)
    first = setup.download()
    merchant = setup.merchant
    with DownloadStaging(merchant_id=merchant.pk) as staging:
        staging.warehouse_slots[""] = 0
        staging.load(iter([_copy_line("A", 10), _copy_line("B", 20), _copy_line("C", 31)]))
        Product.objects.filter(merchant=merchant, sku="B").delete()  # after the copy

        with transaction.atomic():
            result = staging.apply(
                warehouse_ids={"": _default_warehouse(merchant).pk},
                now=django_timezone.now(),
                run_id=first.pk,
            )

    assert (result.new_products, result.levels_changed) == (1, 2)
    assert setup.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 31}


def test_more_warehouses_than_slot_bits_find_only_the_real_duplicate(setup):
    codes = [f"W{number:03d}" for number in range(SLOT_BITS + 7)]  # slots share bits past 63
    for code in codes:
        setup.wms.set_stock("A", 1, warehouse_code=code)
    setup.wms.set_stock("B", 2, warehouse_code=codes[0])
    setup.wms.set_stock("B", 2, warehouse_code=codes[SLOT_BITS])  # same bit as codes[0]

    run = setup.download()

    assert run.state == RunState.SUCCEEDED, run.message
    assert len(setup.available()) == len(codes) + 2

    setup.wms.extra_records.append(setup.wms.records[(codes[SLOT_BITS + 3], "A")])
    refused = setup.download()

    assert refused.state == RunState.FAILED
    assert refused.message == (
        "The warehouse system reported the same SKU twice for one warehouse: SKU A in "
        f"warehouse '{codes[SLOT_BITS + 3]}'. Nothing was applied."
    )


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 12, 0, 0, 123457, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 7, 1, 9, 30, 0, 1, tzinfo=timezone(timedelta(hours=-7))),
    ],
)
def test_wms_time_is_stored_to_the_microsecond(setup, moment):
    setup.wms.set_stock("A", 1, wms_updated_at=moment)

    run = setup.download()

    assert run.state == RunState.SUCCEEDED, run.message
    assert InventoryLevel.objects.get(product__sku="A").wms_updated_at == moment


def test_epoch_us_is_exact_far_from_the_epoch():
    assert epoch_us(datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)) == 1
    assert epoch_us(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == -1
    assert epoch_us(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == 253402300799999999


def test_admin_shows_levels_read_only(client, setup):
    setup.wms.set_stock("A", 1)
    setup.download()
    level = InventoryLevel.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(f"/admin/warehouses/inventorylevel/{level.pk}/change/").status_code == 200
    assert client.get("/admin/warehouses/inventorylevel/add/").status_code == 403
    response = client.post(
        f"/admin/warehouses/inventorylevel/{level.pk}/change/",
        {"quantity_on_hand": 99, "quantity_available": 99},
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/admin/warehouses/inventorylevel/{level.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    level.refresh_from_db()
    assert (level.quantity_on_hand, level.quantity_available) == (1, 1)
    assert SyncRun.objects.count() == 1
