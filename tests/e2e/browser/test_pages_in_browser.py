"""The other pages a merchant user and a support agent use, in a real browser, at 1280 px and
on a phone (390 px): logging in, the merchant page, Locations & Products, alias import, Item
Filters, runs and alerts. Every page visited is saved as a screenshot."""

import re

import pytest
from playwright.sync_api import expect

from carts.models import CartListing
from sync.services.alerts import alert_raise
from tests.conftest import PASSWORD
from tests.e2e.browser.acme import acme_build
from tests.e2e.browser.conftest import DESKTOP, PHONE, open_page
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("merchants", "/merchants/"),
    ("merchant", "/merchants/{merchant}/"),
    ("merchant-edit-setup", "/merchants/{merchant}/setup/"),
    ("locations", "/merchants/{merchant}/locations/"),
    ("warehouse-levels", "/merchants/{merchant}/locations/{default}/"),
    ("add-view-products", "/merchants/{merchant}/products/"),
    ("product", "/merchants/{merchant}/products/{product}/"),
    ("alias-import", "/merchants/{merchant}/aliases/import/"),
    ("carts", "/carts/"),
    ("cart", "/carts/{cart}/"),
    ("cart-edit-setup", "/carts/{cart}/setup/"),
    ("view-product-sync", "/carts/{cart}/product-sync/"),
    ("item-filters", "/carts/{cart}/item-filters/"),
    ("discrepancy-report", "/carts/{cart}/discrepancies/"),
    ("sync-runs", "/runs/"),
    ("run", "/runs/{run}/"),
    ("alerts", "/alerts/"),
    ("troubleshooter", "/troubleshooter/?merchant={merchant}&cart={cart}&sku=LAMP-01"),
    ("status", "/status/"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "phone"])
def test_every_page_reads_at_desktop_and_phone_width(chromium, live_server, screens, viewport):
    acme = acme_build(cart_settings={"minimum_inventory_level": 5})
    alert_raise(merchant=acme.merchant, key="download", title="Inventory download failed")
    ids = {
        "merchant": acme.merchant.pk,
        "default": acme.default.pk,
        "product": acme.merchant.products.get(sku="STOVE-1").pk,
        "cart": acme.cart.pk,
        "run": acme.merchant.sync_runs.first().pk,
    }
    user = UserFactory(username="casey")
    MembershipFactory(user=user, merchant=acme.merchant)
    page = open_page(chromium, live_server, user, viewport=viewport)

    for name, path in PAGES:
        response = page.goto(path.format(**ids))
        assert response.status == 200, name
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # Nothing wider than the screen but the tables, which scroll inside their frame.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (name, overflow)
        screens.take(page, name)


def test_log_in_see_the_merchant_and_test_its_connection(chromium, live_server, screens):
    acme = acme_build()
    user = UserFactory(username="casey")
    MembershipFactory(user=user, merchant=acme.merchant)
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()

    page.goto("/")
    screens.take(page, "login")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Merchants")).to_be_visible()
    screens.take(page, "merchants")

    row = page.get_by_role("row").filter(has_text="Acme Outdoor")
    expect(row).to_contain_text("Succeeded")
    row.get_by_role("link", name="Acme Outdoor").click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-result")).to_contain_text("Connection works.")
    screens.take(page, "merchant-test-connection")

    page.get_by_role("link", name="Locations & Products").click()
    expect(page.get_by_role("row").nth(1)).to_contain_text("Default")
    screens.take(page, "locations")
    page.get_by_role("link", name="East Coast DC").click()
    page.get_by_label("SKU or alias code").fill("BOOT-42")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("7")
    screens.take(page, "east-coast-dc-search")

    # Status links to the run, whose counts and log it shows.
    page.goto(f"/merchants/{acme.merchant.pk}/")
    page.locator("#inventory-status").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inventory download #")
    expect(page.get_by_text("Records read / changed")).to_be_visible()
    screens.take(page, "run")


def test_alias_import_shows_line_numbered_errors_then_imports(
    chromium, live_server, screens, tmp_path
):
    acme = acme_build()
    agent = UserFactory(username="agent", is_support_agent=True)
    page = open_page(chromium, live_server, agent)
    bad = tmp_path / "aliases.csv"
    bad.write_text("SKU,Alias name,Alias code\nTENT-2P,UPC,0009\nHAT-99,UPC,0010\n")
    good = tmp_path / "aliases-fixed.csv"
    good.write_text("SKU,Alias name,Alias code\nTENT-2P,UPC,0009\nLAMP-01,UPC,0010\n")

    page.goto(f"/merchants/{acme.merchant.pk}/products/")
    page.get_by_role("link", name="Import aliases (CSV)").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-errors")).to_have_text("Line 3: No product has SKU HAT-99.")
    screens.take(page, "alias-import-errors")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("2 aliases imported.")).to_be_visible()
    screens.take(page, "alias-import-done")


def test_item_filters_and_alerts(chromium, live_server, screens, eager_celery):
    acme = acme_build()
    alert_raise(merchant=acme.merchant, key="download", title="Inventory download failed")
    agent = UserFactory(username="agent", is_support_agent=True)
    page = open_page(chromium, live_server, agent)

    page.goto(f"/carts/{acme.cart.pk}/")
    page.get_by_role("link", name="Item Filters").first.click()
    page.get_by_label(re.compile("Blacklist")).check()
    page.get_by_role("button", name="Save mode").click()
    page.get_by_label("SKU to add").fill("MUG-01")
    page.get_by_role("button", name="Add SKU").click()
    expect(page.get_by_role("cell", name="MUG-01", exact=True)).to_be_visible()
    screens.take(page, "item-filters")
    page.goto(f"/carts/{acme.cart.pk}/")
    page.get_by_role("button", name="Upload now", exact=True).click()
    expect(page.locator(".progress-panel")).to_contain_text("Succeeded")
    assert CartListing.objects.get(cart=acme.cart, sku="MUG-01").status == "filtered"

    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_text("Inventory download failed")).to_be_visible()
    screens.take(page, "alerts")
    page.get_by_role("button", name="Dismiss Inventory download failed").click()
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    screens.take(page, "alerts-dismissed")
