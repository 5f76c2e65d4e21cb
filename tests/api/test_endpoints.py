"""The /api/v1/ endpoints: filters, cursor pages, settings updates, run requests."""

import pytest

from carts.models import UploadMode
from sync.models import RunKind, RunState, RunTrigger, SyncRun
from tests.factories import (
    AliasFactory,
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    ProductFactory,
    SyncRunFactory,
    WarehouseFactory,
)
from warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(merchant):
    east = WarehouseFactory(merchant=merchant, external_code="EAST", name="East")
    west = WarehouseFactory(merchant=merchant, external_code="WEST", name="West", is_enabled=False)
    a = ProductFactory(merchant=merchant, sku="A")
    b = ProductFactory(merchant=merchant, sku="B")
    AliasFactory(product=a, name="UPC", value="111")
    InventoryLevelFactory(product=a, warehouse=east, quantity_on_hand=4, quantity_available=3)
    InventoryLevelFactory(product=a, warehouse=west, quantity_on_hand=9, quantity_available=9)
    InventoryLevelFactory(product=b, warehouse=west, quantity_on_hand=1, quantity_available=1)
    return {"east": east, "west": west, "a": a, "b": b}


def skus(response) -> list[str]:
    return [row["sku"] for row in response.json()["results"]]


def test_products_filter_by_sku_alias_and_warehouse(api, stock):
    assert skus(api.get("/api/v1/products/")) == ["A", "B"]
    assert skus(api.get("/api/v1/products/", {"sku": "B"})) == ["B"]
    assert skus(api.get("/api/v1/products/", {"alias": "111"})) == ["A"]
    assert skus(api.get("/api/v1/products/", {"warehouse": stock["west"].pk})) == ["A", "B"]
    assert skus(api.get("/api/v1/products/", {"warehouse": stock["east"].pk})) == ["A"]
    assert skus(api.get("/api/v1/products/", {"alias": "nope"})) == []


def test_product_total_counts_enabled_warehouses_only(api, stock):
    product = api.get(f"/api/v1/products/{stock['a'].pk}/").json()

    assert product["quantity_available"] == 3
    assert product["aliases"] == [{"name": "UPC", "value": "111"}]
    assert [
        (level["warehouse_code"], level["quantity_available"]) for level in product["levels"]
    ] == [
        ("EAST", 3),
        ("WEST", 9),
    ]


def test_levels_and_aliases_filter(api, stock):
    levels = api.get("/api/v1/levels/", {"sku": "A", "warehouse": stock["west"].pk}).json()
    assert [
        (row["sku"], row["warehouse_code"], row["quantity_on_hand"]) for row in levels["results"]
    ] == [("A", "WEST", 9)]
    assert skus(api.get("/api/v1/levels/", {"alias": "111"})) == ["A", "A"]
    aliases = api.get("/api/v1/aliases/", {"sku": "A"}).json()["results"]
    assert [(row["sku"], row["name"], row["value"]) for row in aliases] == [("A", "UPC", "111")]
    assert api.get("/api/v1/aliases/", {"alias": "222"}).json()["results"] == []


@pytest.mark.parametrize("param", ["merchant", "warehouse"])
def test_non_integer_filter_is_400_naming_it(api, stock, param):
    response = api.get("/api/v1/products/", {param: "x"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == param


def test_cursor_pagination_walks_every_product_once(api, merchant):
    for number in range(7):
        ProductFactory(merchant=merchant, sku=f"P{number}")

    seen = []
    page = api.get("/api/v1/products/", {"page_size": 3}).json()
    pages = 1
    while True:
        seen += [row["sku"] for row in page["results"]]
        if not page["next"]:
            break
        page = api.get(page["next"]).json()
        pages += 1

    assert seen == [f"P{number}" for number in range(7)]
    assert pages == 3


def test_warehouse_rename_and_disable(api, stock):
    response = api.patch(
        f"/api/v1/warehouses/{stock['east'].pk}/", {"name": " East coast ", "is_enabled": False}
    )

    assert response.status_code == 200
    stock["east"].refresh_from_db()
    assert (stock["east"].name, stock["east"].is_enabled) == ("East coast", False)
    assert response.json()["is_enabled"] is False


def test_moving_the_default_keeps_exactly_one(api, merchant, stock):
    old_default = Warehouse.objects.get(merchant=merchant, is_default=True)

    response = api.patch(f"/api/v1/warehouses/{stock['east'].pk}/", {"is_default": True})

    assert response.status_code == 200
    assert list(
        Warehouse.objects.filter(merchant=merchant, is_default=True).values_list("pk", flat=True)
    ) == [stock["east"].pk]
    old_default.refresh_from_db()
    assert old_default.is_default is False


def test_unsetting_the_default_is_refused(api, merchant):
    default = Warehouse.objects.get(merchant=merchant, is_default=True)

    response = api.patch(f"/api/v1/warehouses/{default.pk}/", {"is_default": False})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "is_default"
    default.refresh_from_db()
    assert default.is_default is True


def test_blank_warehouse_name_is_refused(api, stock):
    response = api.patch(f"/api/v1/warehouses/{stock['east'].pk}/", {"name": "  "})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    stock["east"].refresh_from_db()
    assert stock["east"].name == "East"


def test_cart_settings_update(api, merchant, stock):
    cart = CartFactory(merchant=merchant, scheduling_paused_reason="Bad token")

    response = api.patch(
        f"/api/v1/carts/{cart.pk}/",
        {
            "upload_mode": "automatic",
            "sync_warehouse": stock["east"].pk,
            "push_alias_name": "UPC",
            "minimum_inventory_level": 2,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    cart.refresh_from_db()
    assert (
        cart.upload_mode,
        cart.sync_warehouse_id,
        cart.push_alias_name,
        cart.minimum_inventory_level,
        cart.scheduling_paused_reason,
    ) == (UploadMode.AUTOMATIC, stock["east"].pk, "UPC", 2, "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"upload_mode": "sometimes"}, "upload_mode"),
        ({"upload_interval_minutes": 0}, "upload_interval_minutes"),
        ({"upload_interval_minutes": 10081}, "upload_interval_minutes"),
        ({"reconcile_interval_minutes": 4}, "reconcile_interval_minutes"),
        ({"minimum_inventory_level": -1}, "minimum_inventory_level"),
        ({"push_alias_name": "NOT-AN-ALIAS"}, "push_alias_name"),
        ({"sync_warehouse": 999999}, "sync_warehouse"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_cart_settings_are_400_naming_the_field_and_change_nothing(
    api, merchant, change, field
):
    cart = CartFactory(merchant=merchant)

    response = api.patch(f"/api/v1/carts/{cart.pk}/", change, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    before = cart.upload_mode, cart.upload_interval_minutes, cart.push_alias_name, cart.name
    cart.refresh_from_db()
    assert (cart.upload_mode, cart.upload_interval_minutes, cart.push_alias_name, cart.name) == (
        before
    )


def test_cart_cannot_sync_with_another_merchants_warehouse(api, merchant, other_merchant):
    cart = CartFactory(merchant=merchant)
    foreign = WarehouseFactory(merchant=other_merchant)

    response = api.patch(f"/api/v1/carts/{cart.pk}/", {"sync_warehouse": foreign.pk})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sync_warehouse"
    cart.refresh_from_db()
    assert cart.sync_warehouse_id is None


def test_duplicate_cart_name_is_400(api, merchant):
    CartFactory(merchant=merchant, name="Shop")
    cart = CartFactory(merchant=merchant, name="Other")

    response = api.patch(f"/api/v1/carts/{cart.pk}/", {"name": "Shop"})

    assert response.status_code == 400
    cart.refresh_from_db()
    assert cart.name == "Other"


def test_merchant_settings_update_and_validation(api, merchant):
    response = api.patch(
        f"/api/v1/merchants/{merchant.pk}/",
        {"inventory_sync_mode": "automatic", "inventory_interval_minutes": 30},
    )
    assert response.status_code == 200
    merchant.refresh_from_db()
    assert (merchant.inventory_sync_mode, merchant.inventory_interval_minutes) == ("automatic", 30)

    bad = api.patch(f"/api/v1/merchants/{merchant.pk}/", {"inventory_interval_minutes": 0})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "inventory_interval_minutes"
    merchant.refresh_from_db()
    assert merchant.inventory_interval_minutes == 30


def test_listings_filter_by_cart_sku_and_status(api, merchant):
    cart = CartFactory(merchant=merchant)
    CartListingFactory(cart=cart, sku="A", status="in_sync", cart_quantity=3)
    CartListingFactory(cart=cart, sku="B", status="no_match")
    CartListingFactory(cart=CartFactory(merchant=merchant), sku="A")

    rows = api.get("/api/v1/listings/", {"cart": cart.pk}).json()["results"]
    assert [(row["sku"], row["status"]) for row in rows] == [("A", "in_sync"), ("B", "no_match")]
    assert skus(api.get("/api/v1/listings/", {"cart": cart.pk, "sku": "A"})) == ["A"]
    assert skus(api.get("/api/v1/listings/", {"status": "no_match"})) == ["B"]
    assert rows[0]["last_synced_at"] is None
    bad = api.get("/api/v1/listings/", {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"


def test_runs_list_newest_first_with_filters_and_detail_with_log(api, merchant):
    older = SyncRunFactory(merchant=merchant, state=RunState.SUCCEEDED, log="line 1\n")
    cart = CartFactory(merchant=merchant)
    newer = SyncRunFactory(merchant=merchant, kind=RunKind.UPLOAD, cart=cart)

    rows = api.get("/api/v1/runs/").json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    assert "log" not in rows[0]
    assert [
        row["id"] for row in api.get("/api/v1/runs/", {"kind": "upload"}).json()["results"]
    ] == [newer.pk]
    assert [row["id"] for row in api.get("/api/v1/runs/", {"cart": cart.pk}).json()["results"]] == [
        newer.pk
    ]
    assert api.get(f"/api/v1/runs/{older.pk}/").json()["log"] == "line 1\n"
    assert api.get("/api/v1/runs/", {"state": "lost"}).status_code == 400


def test_download_request_queues_a_run_once(api, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = api.post(f"/api/v1/merchants/{merchant.pk}/downloads/")
        second = api.post(f"/api/v1/merchants/{merchant.pk}/downloads/")

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    run = SyncRun.objects.get()
    assert (run.kind, run.trigger, run.state, run.requested_by) == (
        RunKind.DOWNLOAD,
        RunTrigger.MANUAL,
        RunState.QUEUED,
        None,
    )
    assert len(callbacks) == 1


def test_upload_request_by_a_user_records_who_asked(
    merchant_client, merchant_user, merchant, django_capture_on_commit_callbacks
):
    cart = CartFactory(merchant=merchant)

    with django_capture_on_commit_callbacks() as callbacks:
        response = merchant_client.post(
            f"/api/v1/carts/{cart.pk}/uploads/",
            {"reconcile": True},
            content_type="application/json",
        )

    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert (run.kind, run.cart_id, run.requested_by) == (RunKind.UPLOAD, cart.pk, merchant_user)
    assert len(callbacks) == 1


def test_upload_request_with_a_bad_body_is_400_and_queues_nothing(api, merchant):
    cart = CartFactory(merchant=merchant)

    response = api.post(
        f"/api/v1/carts/{cart.pk}/uploads/", {"reconcile": "perhaps"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reconcile"
    assert not SyncRun.objects.exists()


def test_malformed_json_is_400(api, merchant):
    response = api.generic(
        "POST", f"/api/v1/merchants/{merchant.pk}/inventory/", "{not json", "application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
