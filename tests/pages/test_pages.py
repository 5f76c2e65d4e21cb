"""The pages' behaviour, through Django's test client: what they show and what they change."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from carts.models import ListingStatus
from merchants.models import InventorySyncMode
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services.alerts import alert_raise, alert_resolve
from tests.factories import (
    AliasFactory,
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    ProductFactory,
    SyncRunFactory,
    WarehouseFactory,
)
from warehouses.models import Alias, InventoryLevelChange

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# --- Merchant page -------------------------------------------------------------------------------


def test_last_inventory_run_is_na_before_the_first_download(merchant_client, merchant):
    page = merchant_client.get(reverse("merchants:detail", kwargs={"pk": merchant.pk}))

    assert page.status_code == 200
    assert page.context["last_run"] is None
    assert 'id="last-inventory-run">N/A\n</dd>' in page.content.decode()


def test_last_inventory_run_in_progress_shows_its_start_and_links_to_the_run(
    merchant_client, merchant
):
    run = SyncRunFactory(merchant=merchant, state=RunState.RUNNING, started_at=WHEN)

    html = merchant_client.get(reverse("merchants:detail", kwargs={"pk": merchant.pk})).content

    assert "In progress</span> since 2026-03-01 12:00:00 UTC" in html.decode()
    assert reverse("sync:run", kwargs={"pk": run.pk}) in html.decode()


def test_status_shows_the_last_download_result_with_its_message(merchant_client, merchant):
    SyncRunFactory(merchant=merchant, state=RunState.SUCCEEDED, finished_at=WHEN)
    failed = SyncRunFactory(
        merchant=merchant,
        state=RunState.FAILED,
        finished_at=WHEN + timedelta(hours=1),
        message="The warehouse system rejected the token.",
    )

    html = merchant_client.get(reverse("merchants:detail", kwargs={"pk": merchant.pk})).content
    status = html.decode().split('id="inventory-status">')[1].split("</dd>")[0]

    assert f'href="/runs/{failed.pk}/"' in status
    assert "Failed" in status
    assert "The warehouse system rejected the token." in status


def test_run_inventory_now_queues_one_download_and_refuses_get(merchant_client, merchant):
    url = reverse("merchants:run_inventory", kwargs={"pk": merchant.pk})

    assert merchant_client.get(url).status_code == 405
    first = merchant_client.post(url, HTTP_HX_REQUEST="true")
    again = merchant_client.post(url)

    run = SyncRun.objects.get(merchant=merchant)
    assert first.status_code == 200
    assert 'hx-trigger="every 1s"' in first.content.decode()
    assert again.status_code == 302
    assert (run.kind, run.trigger, run.state) == (
        RunKind.DOWNLOAD,
        RunTrigger.MANUAL,
        RunState.QUEUED,
    )


def test_run_progress_stops_polling_when_the_run_is_finished(merchant_client, merchant):
    running = SyncRunFactory(merchant=merchant, state=RunState.RUNNING)
    done = SyncRunFactory(merchant=merchant, state=RunState.SUCCEEDED, records_read=12)

    polling = merchant_client.get(reverse("sync:run_progress", kwargs={"pk": running.pk}))
    finished = merchant_client.get(reverse("sync:run_progress", kwargs={"pk": done.pk}))

    assert "hx-trigger" in polling.content.decode()
    assert "hx-trigger" not in finished.content.decode()
    assert "Read 12" in finished.content.decode()


def test_test_connection_reports_a_missing_connection(merchant_client, merchant):
    response = merchant_client.post(
        reverse("merchants:test_connection", kwargs={"pk": merchant.pk}), HTTP_HX_REQUEST="true"
    )

    assert "Connection failed." in response.content.decode()
    assert "has no warehouse system configured" in response.content.decode()


# --- Edit Setup -------------------------------------------------------------------------------


def test_merchant_edit_setup_saves_and_never_renders_a_secret(merchant_client, merchant):
    url = reverse("merchants:setup", kwargs={"pk": merchant.pk})
    data = {
        "name": merchant.name,
        "inventory_sync_mode": InventorySyncMode.SCHEDULED,
        "inventory_interval_minutes": 30,
        "suspicious_change_percent": 50,
        "connector_key": "memory",
        "parameter_store": "acme",
        "secret_token": "s3cret-token-value",
    }

    saved = merchant_client.post(url, data)
    merchant.refresh_from_db()
    form = merchant_client.get(url).content.decode()
    blank = merchant_client.post(url, {**data, "secret_token": ""})
    merchant.refresh_from_db()

    assert saved.status_code == 302
    assert merchant.inventory_sync_mode == InventorySyncMode.SCHEDULED
    assert merchant.inventory_interval_minutes == 30
    assert merchant.connection_parameters == {"store": "acme"}
    assert "s3cret-token-value" not in form
    assert 'type="password"' in form
    assert blank.status_code == 302
    assert merchant.get_secrets() == {"token": "s3cret-token-value"}


def test_merchant_edit_setup_uses_the_vendor_labels(merchant_client, merchant):
    form = merchant_client.get(reverse("merchants:setup", kwargs={"pk": merchant.pk}))

    assert "<legend>Synchronization With WMS – Inventory</legend>" in form.content.decode()


def test_cart_edit_setup_offers_combine_all_locations_and_master_sku(merchant_client, merchant):
    cart = CartFactory(merchant=merchant)
    AliasFactory(product=ProductFactory(merchant=merchant), name="UPC")
    url = reverse("carts:setup", kwargs={"pk": cart.pk})

    html = merchant_client.get(url).content.decode()
    for label in (
        "Inventory Upload Service",
        "Sync Inventory With Warehouse",
        "Push Inventory Using Alias",
        "Minimum Inventory Level",
    ):
        assert label in html
    assert ">Combine All Locations</option>" in html
    assert '<option value="" selected>Master SKU</option>' in html
    assert '<option value="UPC">UPC</option>' in html


def test_cart_edit_setup_refuses_another_merchants_warehouse(merchant_client, merchant, world):
    cart = CartFactory(merchant=merchant)
    foreign = world["other"]["warehouse"]
    response = merchant_client.post(
        reverse("carts:setup", kwargs={"pk": cart.pk}),
        {
            "name": cart.name,
            "upload_mode": "scheduled",
            "upload_interval_minutes": 15,
            "sync_warehouse": foreign.pk,
            "push_alias_name": "",
            "minimum_inventory_level": 0,
            "reconcile_interval_minutes": 1440,
            "failure_alert_threshold": 3,
            "connector_key": "",
        },
    )
    cart.refresh_from_db()

    assert response.status_code == 400
    assert cart.sync_warehouse_id is None
    assert cart.upload_mode == "off"


# --- Locations & Products ---------------------------------------------------------------------


def test_locations_list_default_first_and_disabled_greyed(merchant_client, merchant):
    WarehouseFactory(merchant=merchant, name="Aardvark DC", is_enabled=False)
    WarehouseFactory(merchant=merchant, name="Zebra DC")

    page = merchant_client.get(reverse("warehouses:locations", kwargs={"merchant_pk": merchant.pk}))

    names = [warehouse.name for warehouse in page.context["warehouses"]]
    assert names == ["Default", "Aardvark DC", "Zebra DC"]
    assert '<tr class="disabled">' in page.content.decode()


def test_warehouse_search_by_alias_code_finds_its_product(merchant_client, merchant):
    default = merchant.warehouses.get(is_default=True)
    stove = ProductFactory(merchant=merchant, sku="STOVE-1")
    AliasFactory(product=stove, name="UPC", value="0001112223334")
    InventoryLevelFactory(product=stove)
    InventoryLevelFactory(product=ProductFactory(merchant=merchant, sku="TENT-2P"))
    url = reverse("warehouses:warehouse", kwargs={"merchant_pk": merchant.pk, "pk": default.pk})

    by_alias = merchant_client.get(url, {"q": "0001112223334"})
    by_prefix = merchant_client.get(url, {"q": "TEN"})

    assert [level.product.sku for level in by_alias.context["page_obj"]] == ["STOVE-1"]
    assert by_alias.context["match"].how == "exact"
    assert [level.product.sku for level in by_prefix.context["page_obj"]] == ["TENT-2P"]
    assert by_prefix.context["match"].how == "prefix"


def test_add_alias_code_refuses_a_duplicate_naming_both_products(merchant_client, merchant):
    stove = ProductFactory(merchant=merchant, sku="STOVE-1")
    AliasFactory(product=stove, name="UPC", value="0001112223334")
    tent = ProductFactory(merchant=merchant, sku="TENT-2P")

    response = merchant_client.post(
        reverse("warehouses:product", kwargs={"merchant_pk": merchant.pk, "pk": tent.pk}),
        {"name": "UPC", "value": "0001112223334"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "already identifies product STOVE-1" in html
    assert "cannot also identify product TENT-2P" in html
    assert not Alias.objects.filter(product=tent).exists()


def test_product_page_draws_the_history_per_warehouse(merchant_client, merchant):
    product = ProductFactory(merchant=merchant)
    default = merchant.warehouses.get(is_default=True)
    east = WarehouseFactory(merchant=merchant, name="East Coast DC")
    for hours, quantity, warehouse in ((0, 5, default), (2, 9, default), (1, 3, east)):
        InventoryLevelChange.objects.create(
            product=product,
            warehouse=warehouse,
            quantity_available=quantity,
            recorded_at=WHEN + timedelta(hours=hours),
        )

    page = merchant_client.get(
        reverse("warehouses:product", kwargs={"merchant_pk": merchant.pk, "pk": product.pk})
    )

    chart = page.context["chart"]
    assert [(line.label, line.last_value) for line in chart.lines] == [
        ("Default", 9),
        ("East Coast DC", 3),
    ]
    assert page.content.decode().count("<polyline") == 2


def test_alias_import_reports_every_error_with_its_line_and_imports_nothing(
    merchant_client, merchant
):
    ProductFactory(merchant=merchant, sku="TENT-2P")
    stove = ProductFactory(merchant=merchant, sku="STOVE-1")
    AliasFactory(product=stove, name="UPC", value="0001112223334")
    text = (
        "SKU,Alias name,Alias code\n"
        "TENT-2P,UPC,0009998887776\n"
        "NOPE-1,UPC,123\n"
        "TENT-2P,ALT_CODE,0001112223334\n"
        "TENT-2P,ALT\n"
    )

    response = merchant_client.post(
        reverse("warehouses:alias_import", kwargs={"merchant_pk": merchant.pk}),
        {"file": SimpleUploadedFile("aliases.csv", text.encode())},
    )

    errors = [(error.line, error.message) for error in response.context["result"].errors]
    assert response.status_code == 400
    assert errors == [
        (5, "Expected 3 columns (SKU, Alias name, Alias code), found 2."),
        (3, "No product has SKU NOPE-1."),
        (
            4,
            "The alias code '0001112223334' already identifies product STOVE-1 (as UPC); it "
            "cannot also identify product TENT-2P.",
        ),
    ]
    assert "Line 3: No product has SKU NOPE-1." in response.content.decode()
    assert Alias.objects.filter(merchant=merchant).count() == 1


def test_alias_import_of_a_clean_file_adds_every_alias(merchant_client, merchant):
    ProductFactory(merchant=merchant, sku="TENT-2P")
    ProductFactory(merchant=merchant, sku="LAMP-01")
    text = "TENT-2P,UPC,0009998887776\nLAMP-01,UPC,0009998887777\n"

    response = merchant_client.post(
        reverse("warehouses:alias_import", kwargs={"merchant_pk": merchant.pk}),
        {"file": SimpleUploadedFile("aliases.csv", text.encode())},
    )

    assert response.status_code == 302
    assert sorted(Alias.objects.values_list("product__sku", "name", "value")) == [
        ("LAMP-01", "UPC", "0009998887777"),
        ("TENT-2P", "UPC", "0009998887776"),
    ]


# --- Carts ------------------------------------------------------------------------------------


def test_view_product_sync_searches_by_sku_and_filters_by_status(merchant_client, merchant):
    cart = CartFactory(merchant=merchant)
    CartListingFactory(cart=cart, sku="TENT-2P", status=ListingStatus.IN_SYNC)
    CartListingFactory(cart=cart, sku="TENT-3P", status=ListingStatus.NO_MATCH)
    CartListingFactory(cart=cart, sku="LAMP-01", status=ListingStatus.NO_MATCH)
    url = reverse("carts:product_sync", kwargs={"pk": cart.pk})

    exact = merchant_client.get(url, {"q": "TENT-2P"})
    prefix = merchant_client.get(url, {"q": "TENT"})
    no_match = merchant_client.get(url, {"status": ListingStatus.NO_MATCH})

    assert [row.sku for row in exact.context["page_obj"]] == ["TENT-2P"]
    assert [row.sku for row in prefix.context["page_obj"]] == ["TENT-2P", "TENT-3P"]
    assert [row.sku for row in no_match.context["page_obj"]] == ["LAMP-01", "TENT-3P"]
    assert "NEVER" in exact.content.decode()


def test_item_filters_set_the_mode_add_and_remove_a_sku(merchant_client, merchant):
    cart = CartFactory(merchant=merchant)
    url = reverse("carts:item_filters", kwargs={"pk": cart.pk})

    merchant_client.post(url, {"item_filter_mode": "blacklist"})
    merchant_client.post(url, {"sku": " TENT-2P "})
    cart.refresh_from_db()
    item_filter = cart.item_filters.get()
    merchant_client.post(
        reverse("carts:item_filter_remove", kwargs={"pk": cart.pk, "filter_pk": item_filter.pk})
    )

    assert cart.item_filter_mode == "blacklist"
    assert item_filter.sku == "TENT-2P"
    assert not cart.item_filters.exists()


def test_upload_now_queues_an_upload_with_reconcile_when_asked(merchant_client, merchant):
    cart = CartFactory(merchant=merchant)

    response = merchant_client.post(
        reverse("carts:upload_now", kwargs={"pk": cart.pk}), {"reconcile": "1"}
    )

    run = SyncRun.objects.get(cart=cart)
    assert response.status_code == 302
    assert (run.kind, run.state, run.trigger) == (
        RunKind.UPLOAD,
        RunState.QUEUED,
        RunTrigger.MANUAL,
    )


def _discrepancy_cart(merchant):
    cart = CartFactory(merchant=merchant, upload_mode="scheduled")
    tent = ProductFactory(merchant=merchant, sku="TENT-2P")
    InventoryLevelFactory(product=tent, quantity_available=25, quantity_on_hand=25)
    lamp = ProductFactory(merchant=merchant, sku="LAMP-01")
    InventoryLevelFactory(product=lamp, quantity_available=3, quantity_on_hand=3)
    CartListingFactory(
        cart=cart,
        sku="TENT-2P",
        cart_quantity=12,
        posted_quantity=12,
        last_synced_at=WHEN,
        status=ListingStatus.UPDATED,
    )
    CartListingFactory(cart=cart, sku="LAMP-01", cart_quantity=3, last_synced_at=WHEN)
    CartListingFactory(cart=cart, sku='=HYPERLINK("http://x")', cart_quantity=-2, title="@evil")
    return cart


def test_discrepancy_report_lists_what_differs_with_the_reason(merchant_client, merchant):
    cart = _discrepancy_cart(merchant)

    page = merchant_client.get(reverse("carts:discrepancies", kwargs={"pk": cart.pk}))

    rows = [
        (item.sku, item.cart_quantity, item.expected_quantity)
        for item in page.context["discrepancies"]
    ]
    assert rows == [("TENT-2P", 12, 25), ('=HYPERLINK("http://x")', -2, None)]
    reasons = {item.sku: item.reason for item in page.context["discrepancies"]}
    assert reasons["TENT-2P"] == (
        "The warehouse data changed since the last upload; the next upload posts it."
    )


def test_discrepancy_csv_neutralises_formulas(merchant_client, merchant):
    cart = _discrepancy_cart(merchant)

    response = merchant_client.get(reverse("carts:discrepancies_csv", kwargs={"pk": cart.pk}))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:7] == [
        "SKU",
        "Cart item id",
        "Title",
        "Matched product",
        "Inventory Enabled",
        "Cart quantity",
        "Should be",
    ]
    assert rows[1][:7] == ["TENT-2P", rows[1][1], "", "TENT-2P", "YES", "12", "25"]
    assert rows[2][0] == '\'=HYPERLINK("http://x")'
    assert rows[2][2] == "'@evil"
    assert rows[2][5] == "-2"
    assert len(rows) == 3


# --- Runs, alerts, troubleshooter ---------------------------------------------------------------


def test_runs_filter_by_kind_and_state(merchant_client, merchant):
    cart = CartFactory(merchant=merchant)
    download = SyncRunFactory(merchant=merchant, state=RunState.FAILED)
    SyncRunFactory(merchant=merchant, state=RunState.SUCCEEDED)
    SyncRunFactory(merchant=merchant, cart=cart, kind=RunKind.UPLOAD, state=RunState.FAILED)

    page = merchant_client.get(reverse("sync:runs"), {"kind": "download", "state": "failed"})

    assert [run.pk for run in page.context["page_obj"]] == [download.pk]


def test_alert_dismissed_or_resolved_leaves_the_list(merchant_client, merchant, merchant_user):
    dismissed = alert_raise(merchant=merchant, key="download", title="Download failed")
    alert_raise(merchant=merchant, key="cart:1:upload", title="Upload failed")
    open_alert = alert_raise(merchant=merchant, key="listing:9:failing", title="SKU failing")

    merchant_client.post(reverse("sync:alert_dismiss", kwargs={"pk": dismissed.pk}))
    alert_resolve(merchant=merchant, key="cart:1:upload")
    page = merchant_client.get(reverse("sync:alerts"))

    assert [alert.pk for alert in page.context["alerts"]] == [open_alert.pk]
    dismissed.refresh_from_db()
    assert dismissed.dismissed_by == merchant_user
    assert Alert.objects.count() == 3


def test_troubleshooter_names_the_first_failing_check_and_links_its_fix(merchant_client, merchant):
    cart = CartFactory(merchant=merchant, upload_mode="scheduled", minimum_inventory_level=5)
    merchant.inventory_sync_mode = InventorySyncMode.SCHEDULED
    merchant.save()
    SyncRunFactory(merchant=merchant, state=RunState.SUCCEEDED, finished_at=timezone.now())
    lamp = ProductFactory(merchant=merchant, sku="LAMP-01")
    InventoryLevelFactory(product=lamp, quantity_available=3, quantity_on_hand=3)
    CartListingFactory(cart=cart, sku="LAMP-01", cart_quantity=0, last_synced_at=WHEN)

    page = merchant_client.get(
        reverse("sync:troubleshooter"),
        {"merchant": merchant.pk, "cart": cart.pk, "sku": "LAMP-01"},
    )

    diagnosis = page.context["diagnosis"]
    states = [(check.title, check.state.value) for check in diagnosis.checks]
    assert diagnosis.first_failure.title == "Minimum Inventory Level does not hold the number back"
    assert diagnosis.first_failure.fix.url == reverse("carts:setup", kwargs={"pk": cart.pk})
    assert [state for _, state in states].count("failed") == 1
    assert states[-1] == ("The cart holds the right number", "passed")


def test_troubleshooter_checks_the_warehouse_report_of_a_sku_the_chosen_alias_misses(
    merchant_client, merchant
):
    cart = CartFactory(merchant=merchant, upload_mode="scheduled", push_alias_name="UPC")
    stove = ProductFactory(merchant=merchant, sku="STOVE-1")
    InventoryLevelFactory(product=stove, quantity_available=4, quantity_on_hand=4)
    CartListingFactory(cart=cart, sku="STOVE-1", cart_quantity=0)

    page = merchant_client.get(
        reverse("sync:troubleshooter"),
        {"merchant": merchant.pk, "cart": cart.pk, "sku": "STOVE-1"},
    )

    checks = {check.title: check for check in page.context["diagnosis"].checks}
    assert checks["Push Inventory Using Alias matches the cart's SKU"].state.value == "failed"
    assert checks["Searching the SKU in the warehouse gives exactly one result"].state.value == (
        "passed"
    )
    # The warehouse search found STOVE-1: its report is checked, not "no product matched".
    recent = checks["The warehouse system reported it recently"]
    assert recent.state.value == "passed"
    assert recent.detail.startswith("Last loaded ")
