"""The support article "Inventory Sync Issue/Discrepancy", walked in a real browser by a support
agent: from a cart showing the wrong number for a SKU to its cause, and on to the setting that
fixes it. One test per cause the article names. Fields are found by their labels, as a person
reads them; every page visited is saved as a screenshot (var/screenshots/<test>/).
"""

import re

import pytest
from playwright.sync_api import expect

from carts.models import CartListing
from merchants.models import InventorySyncMode
from merchants.services import merchant_settings_update
from tests.e2e.browser.acme import acme_build
from tests.e2e.browser.conftest import open_page
from tests.factories import UserFactory
from warehouses.services import warehouse_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent_page(chromium, live_server):
    agent = UserFactory(username="agent", is_support_agent=True)
    return open_page(chromium, live_server, agent)


def listing_row(page, screens, sku: str):
    """Carts → Acme Shopify → View Product Sync → search the SKU: its row."""
    page.goto("/carts/")
    screens.take(page, "carts")
    page.get_by_role("link", name="Acme Shopify").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Shopify")
    screens.take(page, "cart")
    page.get_by_role("link", name="View Product Sync").first.click()
    page.get_by_label("SKU", exact=True).fill(sku)
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=sku, exact=False))
    expect(row).to_have_count(1)
    screens.take(page, f"view-product-sync-{sku}")
    return row


def cells(row) -> list[str]:
    return [text.strip() for text in row.get_by_role("cell").all_inner_texts()]


def troubleshoot(page, screens, row, *, failing: str):
    """Open the troubleshooter from the row; the first failing check is `failing`."""
    row.get_by_role("link", name="Troubleshoot").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text(f"Cause found: the check “{failing}” failed.")
    screens.take(page, "troubleshooter")
    return verdict


def upload_now(page, screens):
    page.get_by_role("button", name="Upload now", exact=True).click()
    expect(page.locator(".progress-panel")).to_contain_text("Succeeded")
    screens.take(page, "upload-now-done")


def test_inventory_pickup_off(agent_page, screens, eager_celery):
    # Given: the warehouse now has 25 tents, but inventory pickup from the WMS is Off.
    acme = acme_build()
    merchant_settings_update(merchant=acme.merchant, inventory_sync_mode=InventorySyncMode.OFF)
    acme.wms.set_stock("TENT-2P", 25, name="Two-person tent")
    page = agent_page

    # The cart shows 12 tents, not 25.
    row = listing_row(page, screens, "TENT-2P")
    assert cells(row)[3] == "12"

    verdict = troubleshoot(
        page, screens, row, failing="Synchronization With WMS – Inventory is turned on"
    )
    expect(verdict).to_contain_text("Synchronization With WMS – Inventory is Off")

    # The fix: Merchants > Edit Setup, Scheduled; then Run inventory now and Upload now.
    verdict.get_by_role("link", name=re.compile("Merchant Edit Setup")).click()
    screens.take(page, "merchant-edit-setup")
    page.get_by_role("group", name="Synchronization With WMS – Inventory").get_by_label(
        "Scheduled"
    ).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Merchant setup saved.")).to_be_visible()
    page.get_by_role("button", name="Run inventory now").click()
    expect(page.locator(".progress-panel")).to_contain_text("Succeeded")
    screens.take(page, "run-inventory-now-done")
    page.reload()
    expect(page.locator("#inventory-status")).to_contain_text("Succeeded")
    screens.take(page, "merchant-after-run")

    page.get_by_role("link", name="Acme Shopify").click()
    upload_now(page, screens)
    row = listing_row(page, screens, "TENT-2P")
    assert cells(row)[3] == "25"
    assert acme.shop.quantity_of("1001") == 25


def test_upload_service_off(agent_page, screens):
    # Given: the new number was downloaded, but the cart's Inventory Upload Service is Off.
    acme = acme_build()
    acme.cart_settings(upload_mode="off")
    acme.wms.set_stock("TENT-2P", 25, name="Two-person tent")
    acme.download()
    page = agent_page

    row = listing_row(page, screens, "TENT-2P")
    assert cells(row)[3] == "12"
    verdict = troubleshoot(page, screens, row, failing="Inventory Upload Service is turned on")
    expect(verdict).to_contain_text("Inventory Upload Service is Off for Acme Shopify")

    # The discrepancy report lists it, with the reason.
    page.goto(f"/carts/{acme.cart.pk}/discrepancies/")
    tent = page.get_by_role("row").filter(has_text="TENT-2P")
    expect(tent).to_contain_text("Inventory Upload Service is Off")
    assert cells(tent)[3:5] == ["12", "25"]
    screens.take(page, "discrepancy-report")

    page.go_back()
    page.locator("#verdict").get_by_role("link", name=re.compile("Cart Edit Setup")).click()
    screens.take(page, "cart-edit-setup")
    page.get_by_role("group", name="Inventory Upload Service").get_by_label("Scheduled").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Cart setup saved.")).to_be_visible()
    screens.take(page, "cart-after-save")
    acme.cart.refresh_from_db()
    assert acme.cart.upload_mode == "scheduled"


def test_wrong_warehouse(agent_page, screens, eager_celery):
    # Given: the boots are in East Coast DC, but the cart syncs with the Default warehouse.
    acme = acme_build()
    acme.cart_settings(sync_warehouse=acme.default)
    acme.upload()
    page = agent_page

    row = listing_row(page, screens, "BOOT-42")
    assert cells(row)[3] == "0"
    verdict = troubleshoot(
        page, screens, row, failing="Sync Inventory With Warehouse is set to the correct warehouse"
    )
    expect(verdict).to_contain_text("East Coast DC: 7")

    verdict.get_by_role("link", name=re.compile("Cart Edit Setup")).click()
    page.get_by_label("Sync Inventory With Warehouse").select_option(label="Combine All Locations")
    screens.take(page, "cart-edit-setup")
    page.get_by_role("button", name="Save").click()
    upload_now(page, screens)
    assert acme.shop.quantity_of("1003") == 7


def test_wrong_alias(agent_page, screens, eager_celery):
    # Given: the cart pushes using the UPC alias, but its SKUs are the master SKUs.
    acme = acme_build(cart_settings={"push_alias_name": "UPC"})
    page = agent_page

    row = listing_row(page, screens, "STOVE-1")
    assert cells(row)[3] == "0"
    assert cells(row)[5] == "NEVER"
    verdict = troubleshoot(
        page, screens, row, failing="Push Inventory Using Alias matches the cart's SKU"
    )
    expect(verdict).to_contain_text("whose UPC alias code is '0001112223334'")

    verdict.get_by_role("link", name=re.compile("Cart Edit Setup")).click()
    page.get_by_label("Push Inventory Using Alias").select_option(label="Master SKU")
    screens.take(page, "cart-edit-setup")
    page.get_by_role("button", name="Save").click()
    upload_now(page, screens)
    assert acme.shop.quantity_of("1004") == 9


def test_minimum_inventory_level_posts_zero(agent_page, screens, eager_celery):
    # Given: 3 lamps available, and a Minimum Inventory Level of 5.
    acme = acme_build(cart_settings={"minimum_inventory_level": 5})
    page = agent_page

    row = listing_row(page, screens, "LAMP-01")
    assert cells(row)[3] == "0"
    expect(row).to_contain_text("below the Minimum Inventory Level 5")
    verdict = troubleshoot(
        page, screens, row, failing="Minimum Inventory Level does not hold the number back"
    )
    expect(verdict).to_contain_text("Quantity Available is 3")

    verdict.get_by_role("link", name=re.compile("Cart Edit Setup")).click()
    page.get_by_label("Minimum Inventory Level").fill("0")
    screens.take(page, "cart-edit-setup")
    page.get_by_role("button", name="Save").click()
    upload_now(page, screens)
    assert acme.shop.quantity_of("1002") == 3


def test_inventory_not_tracked_in_the_cart(agent_page, screens):
    # Given: the cart does not track inventory for the mug.
    def untrack_mug(acme):
        acme.shop.items["1005"].is_inventory_tracked = False

    acme = acme_build(setup=untrack_mug)
    page = agent_page

    row = listing_row(page, screens, "MUG-01")
    assert cells(row)[2] == "NO"
    verdict = troubleshoot(page, screens, row, failing="Inventory Enabled")
    expect(verdict).to_contain_text("Enable inventory tracking for this item in your shopping cart")

    page.goto(f"/carts/{acme.cart.pk}/discrepancies/")
    mug = page.get_by_role("row").filter(has_text="MUG-01")
    assert cells(mug)[3:5] == ["0", "20"]
    screens.take(page, "discrepancy-report")
    assert acme.shop.quantity_of("1005") == 0


def test_sku_missing_from_the_warehouse_system(agent_page, screens):
    # Given: the cart sells a hat the warehouse system does not know.
    def add_hat(acme):
        acme.shop.add_item("1006", sku="HAT-99", quantity=4, title="Sun hat")

    acme = acme_build(setup=add_hat)
    page = agent_page

    row = listing_row(page, screens, "HAT-99")
    assert cells(row)[5] == "NEVER"
    verdict = troubleshoot(
        page, screens, row, failing="Searching the SKU in the warehouse gives exactly one result"
    )
    expect(verdict).to_contain_text("the SKU is missing from the warehouse system")

    verdict.get_by_role("link", name=re.compile("Search 'HAT-99'")).click()
    expect(page.get_by_text("No results for “HAT-99” in Default")).to_be_visible()
    screens.take(page, "warehouse-search")
    assert CartListing.objects.get(cart=acme.cart, sku="HAT-99").product_id is None


def test_duplicate_alias(agent_page, screens):
    # Given: the cart pushes by UPC; the stove's UPC is also the SKU of an old product entry.
    def duplicate_entry(acme):
        acme.wms.set_stock("0001112223334", 0, name="Camp stove (old entry)")
        acme.shop.items["1004"].sku = "0001112223334"

    acme = acme_build(setup=duplicate_entry, cart_settings={"push_alias_name": "UPC"})
    page = agent_page

    row = listing_row(page, screens, "0001112223334")
    expect(row).to_contain_text("Several products match this SKU")
    verdict = troubleshoot(
        page, screens, row, failing="Searching the SKU in the warehouse gives exactly one result"
    )
    expect(verdict).to_contain_text("finds 2 products")

    # Searching the warehouse gives two results, not one.
    verdict.get_by_role("link", name=re.compile("Search '0001112223334'")).click()
    expect(page.locator("#search-summary")).to_contain_text("2 products")
    expect(page.locator("tbody tr")).to_have_count(2)
    screens.take(page, "warehouse-search-two-results")

    # Adding the same code to another product is refused, naming both products.
    page.goto(f"/merchants/{acme.merchant.pk}/products/")
    page.get_by_role("link", name="TENT-2P").click()
    page.get_by_label("Alias name").fill("UPC")
    page.get_by_label("Alias code").fill("0001112223334")
    page.get_by_role("button", name="Add Alias Code").click()
    expect(page.get_by_text("already identifies product STOVE-1")).to_be_visible()
    expect(page.get_by_text("cannot also identify product TENT-2P")).to_be_visible()
    screens.take(page, "add-alias-code-refused")


def test_disabled_warehouse(agent_page, screens, eager_celery):
    # Given: Combine All Locations, and East Coast DC (where the boots are) is disabled.
    acme = acme_build()
    warehouse_update(warehouse=acme.east, name=acme.east.name, is_enabled=False)
    acme.upload()
    page = agent_page

    row = listing_row(page, screens, "BOOT-42")
    assert cells(row)[3] == "0"
    verdict = troubleshoot(
        page, screens, row, failing="Sync Inventory With Warehouse is set to the correct warehouse"
    )
    expect(verdict).to_contain_text("disabled warehouses (East Coast DC: 7)")

    page.goto(f"/merchants/{acme.merchant.pk}/locations/")
    east = page.get_by_role("row").filter(has_text="East Coast DC")
    expect(east).to_have_class(re.compile("disabled"))
    screens.take(page, "locations-disabled-greyed")
    east.get_by_label("Enabled").check()
    east.get_by_role("button", name="Save East Coast DC").click()
    expect(page.get_by_text("Warehouse East Coast DC saved (enabled).")).to_be_visible()
    screens.take(page, "locations-enabled")
    page.goto(f"/carts/{acme.cart.pk}/")
    upload_now(page, screens)
    assert acme.shop.quantity_of("1003") == 7
