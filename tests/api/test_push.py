"""POST /api/v1/merchants/{id}/inventory/: the inventory push of a merchant on Automatic."""

import pytest

from carts.models import UploadMode
from merchants.models import InventorySyncMode
from sync.models import InventoryPush, RunState, RunTrigger, SyncRun
from tests.factories import AliasFactory, CartFactory, InventoryLevelFactory, ProductFactory
from warehouses.models import InventoryLevel, Product, Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def automatic(merchant):
    merchant.inventory_sync_mode = InventorySyncMode.AUTOMATIC
    merchant.save()
    return merchant


def url(merchant) -> str:
    return f"/api/v1/merchants/{merchant.pk}/inventory/"


def levels(merchant) -> dict[tuple[str, str], int]:
    return {
        (level.warehouse.external_code, level.product.sku): level.quantity_available
        for level in InventoryLevel.objects.filter(product__merchant=merchant).select_related(
            "warehouse", "product"
        )
    }


def test_push_applies_the_records_and_answers_202_with_the_run(api, automatic):
    body = {
        "request_id": "batch-1",
        "records": [
            {"sku": "A", "quantity_on_hand": 5, "aliases": {"UPC": "0001"}},
            {
                "sku": "A",
                "warehouse_code": "EAST",
                "quantity_on_hand": 9,
                "quantity_allocated": 2,
                "wms_updated_at": "2026-03-01T12:00:00+00:00",
            },
        ],
    }

    response = api.post(url(automatic), body, format="json")

    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["run"]["id"])
    assert (run.trigger, run.state, run.records_read) == (
        RunTrigger.PUSH,
        RunState.SUCCEEDED,
        2,
    )
    assert response.json()["run"]["state"] == "succeeded"
    assert response.json()["is_replay"] is False
    assert levels(automatic) == {("", "A"): 5, ("EAST", "A"): 7}
    assert Warehouse.objects.get(merchant=automatic, external_code="EAST").name == "EAST"
    assert list(automatic.aliases.values_list("name", "value")) == [("UPC", "0001")]


def test_push_replayed_with_the_same_request_id_applies_once(api, automatic):
    first = api.post(
        url(automatic),
        {"request_id": "r-1", "records": [{"sku": "A", "quantity_on_hand": 5}]},
        format="json",
    )
    # Meanwhile another push moves A on; replaying r-1 must not put 5 back.
    api.post(
        url(automatic),
        {"request_id": "r-2", "records": [{"sku": "A", "quantity_on_hand": 3}]},
        format="json",
    )

    replay = api.post(
        url(automatic),
        {"request_id": "r-1", "records": [{"sku": "A", "quantity_on_hand": 5}]},
        format="json",
    )

    assert replay.status_code == 202
    assert replay.json()["run"]["id"] == first.json()["run"]["id"]
    assert replay.json()["is_replay"] is True
    assert levels(automatic) == {("", "A"): 3}
    assert SyncRun.objects.filter(merchant=automatic, trigger=RunTrigger.PUSH).count() == 2


def test_push_is_partial_other_products_are_neither_flagged_nor_held(api, automatic):
    for sku in ("B", "C", "D"):
        InventoryLevelFactory(product=ProductFactory(merchant=automatic, sku=sku))
    Product.objects.filter(merchant=automatic).update(last_reported_at="2026-01-01T00:00Z")

    response = api.post(
        url(automatic),
        {"request_id": "p", "records": [{"sku": "B", "quantity_on_hand": 0}]},
        format="json",
    )

    assert response.json()["run"]["state"] == "succeeded"
    assert levels(automatic) == {("", "B"): 0, ("", "C"): 10, ("", "D"): 10}
    assert not Product.objects.filter(not_reported_since__isnull=False).exists()


@pytest.mark.parametrize(
    ("record", "field", "message_part"),
    [
        ({"quantity_on_hand": 1}, "sku", "required"),
        ({"sku": "X", "quantity_on_hand": -1}, "quantity_on_hand", "greater than or equal to 0"),
        ({"sku": "X", "quantity_on_hand": "many"}, "quantity_on_hand", "valid integer"),
        (
            {"sku": "X", "quantity_on_hand": 1, "quantity_available": 10**10},
            "quantity_available",
            "less than or equal to",
        ),
        (
            {"sku": "X", "quantity_on_hand": 1, "wms_updated_at": "2026-03-01T12:00:00"},
            "wms_updated_at",
            "time zone",
        ),
        (
            {"sku": "X", "quantity_on_hand": 1, "warehouse_code": "W" * 129},
            "warehouse_code",
            "no more than 128",
        ),
        ({"sku": "   ", "quantity_on_hand": 1}, "sku", "blank"),
        ({"sku": "X", "quantity_on_hand": 1, "aliases": {"UPC": ""}}, "aliases", "blank"),
    ],
)
def test_push_with_an_invalid_record_is_400_naming_field_and_index_and_applies_nothing(
    api, automatic, record, field, message_part
):
    records = [{"sku": "OK-1", "quantity_on_hand": 1}, {"sku": "OK-2", "quantity_on_hand": 2}]
    records.insert(1, record)

    response = api.post(url(automatic), {"request_id": "bad", "records": records}, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["index"]) == (field, 1)
    assert error["path"].startswith(f"records[1].{field}")
    assert message_part in error["message"]
    assert response.json()["detail"].startswith(f"records[1].{field}")
    assert levels(automatic) == {}
    assert not SyncRun.objects.exists()
    assert not InventoryPush.objects.exists()


def test_push_with_a_sku_twice_for_one_warehouse_is_400_naming_the_second_item(api, automatic):
    records = [
        {"sku": "A", "quantity_on_hand": 1},
        {"sku": "B", "quantity_on_hand": 1},
        {"sku": "A", "quantity_on_hand": 2, "warehouse_code": ""},
    ]

    response = api.post(url(automatic), {"request_id": "d", "records": records}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "sku",
            "index": 2,
            "path": "records[2].sku",
            "message": "SKU 'A' is already given for warehouse 'Default' by item 0.",
        }
    ]
    assert levels(automatic) == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": [{"sku": "A", "quantity_on_hand": 1}]}, "request_id"),
        ({"request_id": "x", "records": []}, "records"),
        ({"request_id": "x"}, "records"),
        ({"request_id": "", "records": [{"sku": "A", "quantity_on_hand": 1}]}, "request_id"),
    ],
)
def test_push_without_request_id_or_records_is_400_naming_the_field(api, automatic, body, field):
    response = api.post(url(automatic), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["index"] is None
    assert not SyncRun.objects.exists()


def test_push_that_the_download_refuses_fails_its_run_and_gives_the_request_id_back(api, automatic):
    AliasFactory(product=ProductFactory(merchant=automatic, sku="HOLDER"), value="0001")
    bad = {
        "request_id": "same",
        "records": [{"sku": "A", "quantity_on_hand": 5, "aliases": {"UPC": "0001"}}],
    }

    refused = api.post(url(automatic), bad, format="json")

    assert refused.status_code == 202
    assert refused.json()["run"]["state"] == "failed"
    assert "0001" in refused.json()["run"]["message"]
    assert levels(automatic) == {}
    assert not InventoryPush.objects.exists()

    bad["records"][0]["aliases"] = {"UPC": "0002"}
    fixed = api.post(url(automatic), bad, format="json")

    assert fixed.json()["run"]["state"] == "succeeded"
    assert fixed.json()["is_replay"] is False
    assert levels(automatic) == {("", "A"): 5}


def test_push_to_a_merchant_not_on_automatic_is_409_and_applies_nothing(api, merchant):
    response = api.post(
        url(merchant),
        {"request_id": "x", "records": [{"sku": "A", "quantity_on_hand": 1}]},
        format="json",
    )

    assert response.status_code == 409
    assert "not Automatic" in response.json()["detail"]
    assert levels(merchant) == {}
    assert not SyncRun.objects.exists()


def test_push_to_another_merchant_is_404_and_applies_nothing(other_api, automatic):
    response = other_api.post(
        url(automatic),
        {"request_id": "x", "records": [{"sku": "A", "quantity_on_hand": 1}]},
        format="json",
    )

    assert response.status_code == 404
    assert levels(automatic) == {}


def test_push_that_changes_levels_queues_the_automatic_carts_uploads(
    api, automatic, django_capture_on_commit_callbacks
):
    automatic_cart = CartFactory(merchant=automatic, upload_mode=UploadMode.AUTOMATIC)
    CartFactory(merchant=automatic, upload_mode=UploadMode.SCHEDULED)

    with django_capture_on_commit_callbacks() as callbacks:
        api.post(
            url(automatic),
            {"request_id": "u", "records": [{"sku": "A", "quantity_on_hand": 1}]},
            format="json",
        )

    run = SyncRun.objects.get(trigger=RunTrigger.PUSH)
    assert "Queued the Automatic uploads of 1 carts." in run.log
    assert len(callbacks) == 1
    assert automatic_cart.upload_mode == UploadMode.AUTOMATIC


def test_push_larger_than_the_size_limit_is_413_and_applies_nothing(api, automatic, settings):
    settings.API_MAX_REQUEST_BYTES = 1000
    records = [{"sku": f"SKU-{n}", "quantity_on_hand": n} for n in range(50)]

    response = api.post(url(automatic), {"request_id": "big", "records": records}, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "limit is 1000 bytes" in response.json()["detail"]
    assert levels(automatic) == {}
