"""The Extensiv 3PL Warehouse Manager connector, over real HTTP against its emulator on loopback,
through the real download service (and the task, where retries matter)."""

import time

import pytest
import requests

from integration_manager.connector_errors import ConfigurationError, PermanentError
from merchants.models import InventorySyncMode, Merchant
from sync import tasks
from sync.models import Alert, RunState, RunTrigger, SyncRun
from sync.services.download import inventory_download
from sync.services.scheduling import MAX_RETRIES
from tests.emulators.extensiv_3pl import Extensiv3plApp, Item, Login
from tests.emulators.server import EmulatorServer, Fault
from tests.factories import MerchantFactory
from warehouses.connectors import warehouse_connector_for
from warehouses.connectors.extensiv_3pl import (
    STOCK_SUMMARIES_PAGE_SIZE,
    Extensiv3plConnector,
    extensiv_token_cache_clear,
)
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

CLIENT_ID = "client-abc"
CLIENT_SECRET = "secret-xyz-123456"
CUSTOMER = 5
OTHER_CUSTOMER = 6


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    extensiv_token_cache_clear()
    yield
    extensiv_token_cache_clear()


@pytest.fixture
def wms():
    app = Extensiv3plApp()
    app.add_login(
        Login(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, user_login_id="1001", tpl="{ab-12}")
    )
    app.add_customer(CUSTOMER, "Acme Outdoor")
    app.add_customer(OTHER_CUSTOMER, "Someone Else")
    app.add_facility(1, "East Coast DC")
    app.add_facility(2, "West Coast DC")
    app.add_facility(3, "Closed DC", deactivated=True)
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def _merchant(wms, *, customer_id=CUSTOMER, secret=CLIENT_SECRET, **parameters) -> Merchant:
    merchant = MerchantFactory(
        connector_key="extensiv_3pl",
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        connection_parameters={
            "base_url": wms.url,
            "user_login_id": "1001",
            "tpl": "ab-12",
            "customer_id": str(customer_id) if customer_id else "",
            **parameters,
        },
    )
    merchant.set_secrets({"client_id": CLIENT_ID, "client_secret": secret})
    merchant.save()
    return merchant


def _items(wms, count, *, customer=CUSTOMER, start=1, facility=1):
    for number in range(start, start + count):
        wms.add_item(
            Item(
                item_id=10_000 + number,
                customer_id=customer,
                sku=f"SKU-{number:05d}",
                upc=f"UPC{number:09d}",
                description=f"Product {number}",
            )
        )
        wms.set_stock(10_000 + number, facility, on_hand=number % 50 + 10, allocated=2, on_hold=1)


def _download(merchant) -> SyncRun:
    run = inventory_download(merchant=merchant, trigger=RunTrigger.MANUAL)
    merchant.refresh_from_db()
    return run


def _levels(merchant) -> dict[tuple[str, str], tuple]:
    return {
        (level.warehouse.external_code, level.product.sku): (
            level.quantity_on_hand,
            level.quantity_available,
            level.quantity_allocated,
            level.quantity_on_hold,
        )
        for level in InventoryLevel.objects.filter(product__merchant=merchant).select_related(
            "warehouse", "product"
        )
    }


def _summary_pages(wms) -> list[tuple[str | None, str | None]]:
    return [
        (size, number)
        for path, size, number in wms.page_requests
        if path == "/inventory/stocksummaries"
    ]


# --- paging ------------------------------------------------------------------------------------


def test_download_reads_every_page_at_the_documented_maximum_page_size(db, wms):
    _items(wms, 1201)
    merchant = _merchant(wms)

    run = _download(merchant)

    assert run.state == RunState.SUCCEEDED
    assert run.records_read == 1201
    assert _summary_pages(wms) == [("500", "1"), ("500", "2"), ("500", "3")]
    levels = _levels(merchant)
    assert len(levels) == 1201
    assert levels[("1", "SKU-00001")] == (11, 8, 2, 1)
    assert levels[("1", "SKU-01201")] == (1201 % 50 + 10, 1201 % 50 + 7, 2, 1)


def test_customer_items_are_read_at_their_documented_maximum_page_size(db, wms):
    _items(wms, 250)
    _download(_merchant(wms))

    item_pages = [
        (size, number)
        for path, size, number in wms.page_requests
        if path == f"/customers/{CUSTOMER}/items"
    ]
    assert item_pages == [("100", "1"), ("100", "2"), ("100", "3")]


def test_a_page_ending_exactly_on_the_total_needs_no_extra_call(db, wms):
    _items(wms, STOCK_SUMMARIES_PAGE_SIZE * 2)
    _download(_merchant(wms))

    assert _summary_pages(wms) == [("500", "1"), ("500", "2")]


def test_the_emulator_refuses_a_page_size_above_the_documented_maximum(db, wms):
    token = requests.post(
        f"{wms.url}/AuthServer/api/Token",
        auth=(CLIENT_ID, CLIENT_SECRET),
        json={"grant_type": "client_credentials", "user_login_id": "1001"},
        timeout=5,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/hal+json"}

    too_big = requests.get(
        f"{wms.url}/inventory/stocksummaries?pgsiz=501", headers=headers, timeout=5
    )
    misspelled = requests.get(
        f"{wms.url}/inventory/stocksummaries?pgsize=5000", headers=headers, timeout=5
    )

    assert too_big.status_code == 400
    assert "limit 500" in too_big.json()["Hint"]
    assert misspelled.status_code == 200  # unknown parameters are silently ignored


# --- mapping -----------------------------------------------------------------------------------


def test_facilities_become_warehouses_coded_by_id_and_named_by_name(db, wms):
    _items(wms, 2, facility=1)
    _items(wms, 1, start=3, facility=2)
    merchant = _merchant(wms)

    _download(merchant)

    warehouses = dict(
        Warehouse.objects.filter(merchant=merchant).values_list("external_code", "name")
    )
    assert warehouses == {"": "Default", "1": "East Coast DC", "2": "West Coast DC"}


def test_quantities_are_mapped_and_decimals_rounded_down(db, wms):
    wms.add_item(Item(item_id=1, customer_id=CUSTOMER, sku="MUG", upc="0123", description="Mug"))
    wms.set_stock(1, 1, on_hand=10.75, allocated=2.0, on_hold=1.5)
    wms.set_stock(1, 2, on_hand=4, allocated=0)
    merchant = _merchant(wms)

    _download(merchant)

    # available = 10.75 - 2 - 1.5 = 7.25 → 7; on hand 10.75 → 10; on hold 1.5 → 1
    assert _levels(merchant) == {("1", "MUG"): (10, 7, 2, 1), ("2", "MUG"): (4, 4, 0, 0)}


def test_qualified_stock_is_not_counted_as_the_plain_sku(db, wms):
    wms.add_item(Item(item_id=1, customer_id=CUSTOMER, sku="MUG"))
    wms.set_stock(1, 1, on_hand=10)
    wms.set_stock(1, 1, on_hand=99, qualifier="DAMAGED")
    merchant = _merchant(wms)

    run = _download(merchant)

    assert run.state == RunState.SUCCEEDED
    assert _levels(merchant) == {("1", "MUG"): (10, 10, 0, 0)}


def test_customer_items_give_upc_aliases_and_names_and_other_customers_are_left_out(db, wms):
    wms.add_item(
        Item(item_id=1, customer_id=CUSTOMER, sku="MUG", upc="012345678905", description="Mug ☕")
    )
    wms.add_item(Item(item_id=2, customer_id=CUSTOMER, sku="CAP", upc="", description="Cap"))
    wms.add_item(Item(item_id=3, customer_id=OTHER_CUSTOMER, sku="MUG", upc="999"))
    for item_id in (1, 2, 3):
        wms.set_stock(item_id, 1, on_hand=5)
    merchant = _merchant(wms)

    _download(merchant)

    assert sorted(Product.objects.filter(merchant=merchant).values_list("sku", "name")) == [
        ("CAP", "Cap"),
        ("MUG", "Mug ☕"),
    ]
    assert list(Alias.objects.filter(merchant=merchant).values_list("name", "value")) == [
        ("UPC", "012345678905")
    ]


def test_without_a_customer_id_every_summary_the_login_sees_is_read(db, wms):
    wms.add_item(Item(item_id=1, customer_id=CUSTOMER, sku="MUG"))
    wms.add_item(Item(item_id=2, customer_id=OTHER_CUSTOMER, sku="HAT"))
    wms.set_stock(1, 1, on_hand=1)
    wms.set_stock(2, 1, on_hand=2)
    merchant = _merchant(wms, customer_id=None)

    _download(merchant)

    assert _levels(merchant) == {("1", "MUG"): (1, 1, 0, 0), ("1", "HAT"): (2, 2, 0, 0)}
    assert wms.count(path="/items") == 0


def test_facility_id_reads_one_facility_with_an_rql_filter(db, wms):
    _items(wms, 2, facility=1)
    _items(wms, 2, start=3, facility=2)
    merchant = _merchant(wms, facility_id="2")

    _download(merchant)

    assert set(_levels(merchant)) == {("2", "SKU-00003"), ("2", "SKU-00004")}


def test_ordered_not_allocated_is_subtracted_when_asked(db, wms):
    wms.add_item(Item(item_id=1, customer_id=CUSTOMER, sku="MUG"))
    wms.set_stock(1, 1, on_hand=10, allocated=2, ordered_not_allocated=3)
    merchant = _merchant(wms, subtract_ordered_not_allocated="yes")

    _download(merchant)

    assert _levels(merchant) == {("1", "MUG"): (10, 5, 2, 0)}


# --- credentials and tokens --------------------------------------------------------------------


def test_bad_credentials_fail_the_download_with_an_alert_and_pause_the_schedule(db, wms):
    _items(wms, 3)
    merchant = _merchant(wms, secret="wrong-secret")

    run = _download(merchant)

    assert run.state == RunState.FAILED
    assert "rejected the credentials (HTTP 401)" in run.message
    assert "The client credentials or the user login are not valid." in run.message
    assert "wrong-secret" not in run.message
    assert merchant.scheduling_paused_reason.startswith("Extensiv 3PL rejected the credentials")
    alert = Alert.objects.get(merchant=merchant)
    assert alert.key == "download:configuration"
    assert alert.is_open
    assert _levels(merchant) == {}
    assert wms.count("auth") == 1  # a rejected credential is not retried
    assert wms.count("read") == 0


def test_check_shows_the_platforms_message_when_the_credentials_are_rejected(db, wms):
    connector = warehouse_connector_for(_merchant(wms, secret="wrong-secret"))

    with pytest.raises(ConfigurationError) as raised:
        connector.check()

    assert raised.value.message == (
        "Extensiv 3PL rejected the credentials (HTTP 401): The client credentials or the user "
        "login are not valid. Check the client id, the client secret, the user login and the "
        "TPL key."
    )


def test_check_says_what_it_reached(db, wms):
    _items(wms, 3)
    connector = warehouse_connector_for(_merchant(wms))

    assert connector.check() == (
        f"Connected to Extensiv 3PL at {wms.url}: 3 stock summaries in 2 facilities, "
        "customer 5 (Acme Outdoor)."
    )


def test_missing_secrets_are_a_configuration_error_before_any_call(db, wms):
    with pytest.raises(ConfigurationError, match="client id and client secret are required"):
        Extensiv3plConnector(parameters={"base_url": wms.url, "user_login_id": "1"}, secrets={})
    assert wms.count() == 0


def test_one_token_serves_a_multi_page_download_and_the_next_download(db, wms):
    _items(wms, 1100)
    merchant = _merchant(wms)

    _download(merchant)
    _download(merchant)

    assert len(_summary_pages(wms)) == 6
    assert wms.count("auth") == 1


def test_a_token_near_its_expiry_is_renewed_before_it_is_used(db, wms):
    wms.token_ttl = 2  # the connector renews at half the lifetime when it is this short
    _items(wms, 3)
    merchant = _merchant(wms)

    _download(merchant)
    time.sleep(1.1)
    run = _download(merchant)

    assert run.state == RunState.SUCCEEDED
    assert wms.count("auth") == 2
    assert [call.status for call in wms.calls if call.status == 401] == []


def test_a_token_the_platform_expired_early_is_refreshed_once_and_the_run_completes(db, wms):
    _items(wms, 1100)
    merchant = _merchant(wms)
    _download(merchant)
    wms.expire_tokens()
    wms.set_stock(10_001, 1, on_hand=77)

    run = _download(merchant)

    assert run.state == RunState.SUCCEEDED
    assert run.records_changed == 1
    assert wms.count("auth") == 2
    assert [call.status for call in wms.calls].count(401) == 1


def test_a_token_refused_twice_is_a_configuration_error(db, wms):
    _items(wms, 3)
    merchant = _merchant(wms)
    wms.inject(Fault(status=401, body={"ErrorCode": "Denied"}, path="stocksummaries", times=2))

    run = _download(merchant)

    assert run.state == RunState.FAILED
    assert "refused the request GET /inventory/stocksummaries (HTTP 401): Denied" in run.message
    assert merchant.scheduling_paused_reason != ""
    assert _levels(merchant) == {}


# --- failures part way -------------------------------------------------------------------------


def test_429_with_retry_after_is_waited_out_and_nothing_is_lost(db, wms):
    _items(wms, 1200)
    merchant = _merchant(wms)
    wms.inject(Fault(status=429, retry_after="1", path=r"stocksummaries\?.*pgnum=2\b"))

    started = time.monotonic()
    run = _download(merchant)

    assert time.monotonic() - started >= 1.0
    assert run.state == RunState.SUCCEEDED
    assert len(_levels(merchant)) == 1200
    statuses = [call.status for call in wms.calls if call.path == "/inventory/stocksummaries"]
    assert statuses == [200, 429, 200, 200]


def test_5xx_mid_run_is_retried_and_the_download_completes(db, wms):
    _items(wms, 1200)
    merchant = _merchant(wms)
    wms.inject(Fault(status=503, body="upstream down", path=r"stocksummaries\?.*pgnum=3\b"))

    run = _download(merchant)

    assert run.state == RunState.SUCCEEDED
    assert len(_levels(merchant)) == 1200
    statuses = [call.status for call in wms.calls if call.path == "/inventory/stocksummaries"]
    assert statuses == [200, 200, 503, 200]


def _applied_once(wms, merchant) -> dict:
    _items(wms, 1200)
    assert _download(merchant).state == RunState.SUCCEEDED
    for number in range(1, 1201):
        wms.set_stock(10_000 + number, 1, on_hand=1)  # every level would change
    return _levels(merchant)


def test_a_connection_dropped_mid_response_fails_the_run_and_applies_nothing(db, wms):
    merchant = _merchant(wms)
    before = _applied_once(wms, merchant)
    wms.inject(Fault(drop_connection=True, path=r"stocksummaries\?.*pgnum=2\b", times=99))

    result = tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, "trigger": RunTrigger.SCHEDULE.value},
        retries=MAX_RETRIES,
    )

    run = SyncRun.objects.filter(merchant=merchant).latest("pk")
    assert result.successful()
    assert run.state == RunState.FAILED
    assert "failed" in run.message and "Gave up after" in run.message
    assert run.records_changed == 0
    assert _levels(merchant) == before
    alert = Alert.objects.get(merchant=merchant)
    assert alert.title == f"Inventory download failed {MAX_RETRIES + 1} times in a row"
    dropped = [call for call in wms.calls if call.status == "dropped"]
    assert len(dropped) == 3  # the HTTP client's attempts at the page


def test_malformed_json_fails_the_run_with_an_alert_and_applies_nothing(db, wms):
    merchant = _merchant(wms)
    before = _applied_once(wms, merchant)
    wms.inject(
        Fault(status=200, body='{"totalResults": 1200, "summ', path=r"stocksummaries\?.*pgnum=2\b")
    )

    run = _download(merchant)

    assert run.state == RunState.FAILED
    assert run.message == (
        "Extensiv 3PL GET /inventory/stocksummaries?pgsiz=500&pgnum=2 (HTTP 200): the response "
        "is not valid JSON."
    )
    assert run.records_changed == 0
    assert _levels(merchant) == before
    assert Alert.objects.get(merchant=merchant).key == "download"


def test_a_page_that_is_not_a_list_is_a_permanent_error(db, wms):
    _items(wms, 3)
    wms.inject(
        Fault(status=200, body={"totalResults": 3, "summaries": {"a": 1}}, path="stocksummaries")
    )
    connector = warehouse_connector_for(_merchant(wms, customer_id=None))

    with pytest.raises(PermanentError, match="a page of summaries is not a list"):
        list(connector.stock())


# --- the emulator's own strictness --------------------------------------------------------------


def test_the_emulator_refuses_missing_and_expired_tokens(db, wms):
    missing = requests.get(f"{wms.url}/inventory/stocksummaries", timeout=5)
    token = requests.post(
        f"{wms.url}/AuthServer/api/Token",
        auth=(CLIENT_ID, CLIENT_SECRET),
        json={"grant_type": "client_credentials", "user_login_id": "1001", "tpl": "{AB-12}"},
        timeout=5,
    ).json()["access_token"]
    wms.expire_tokens()
    expired = requests.get(
        f"{wms.url}/inventory/stocksummaries",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert missing.status_code == 401
    assert expired.status_code == 401
    assert expired.json() == {
        "ErrorCode": "TokenExpired",
        "Hint": "The access token has expired.",
        "Properties": [],
    }


def test_the_emulator_answers_pascal_case_to_plain_json(db, wms):
    _items(wms, 1)
    token = requests.post(
        f"{wms.url}/AuthServer/api/Token",
        auth=(CLIENT_ID, CLIENT_SECRET),
        json={"grant_type": "client_credentials", "user_login_id": "1001"},
        timeout=5,
    ).json()["access_token"]

    body = requests.get(
        f"{wms.url}/properties/facilities",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=5,
    ).json()

    assert body["TotalResults"] == 3
    assert body["ResourceList"][0] == {
        "FacilityId": 1,
        "Id": 1,
        "Name": "East Coast DC",
        "Code": "F1",
        "Deactivated": False,
    }
