"""Cart faults, over real HTTP against the Shopify emulator, through the real upload task (with
its retries): 429 with Retry-After, Shopify's THROTTLED, 5xx (also after Shopify applied the
batch) → the upload completes and no item is lost or written twice with different values. One
poison SKU → every other item is applied; the poison SKU is quarantined after
`failure_alert_threshold` failed runs, listed on View Product Sync and in an alert, and left alone
by the scheduler until a person retries it. Figures are printed (`-s`)."""

from collections import defaultdict

import pytest
from django.db import connection
from django.urls import reverse

from carts.models import ListingStatus
from sync import tasks
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from tests.connectors.test_shopify import shopify_cart
from tests.emulators.server import EmulatorServer, Fault
from tests.emulators.shopify import ShopifyEmulator
from tests.factories import UserFactory

ITEMS = 300  # two write calls: 250 and 50
QUANTITY = 7


@pytest.fixture
def shop():
    app = ShopifyEmulator(maximum_available=2000, restore_rate=100000)
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def values_written(shop) -> dict[str, list[int]]:
    written = defaultdict(list)
    for item, quantity in shop.written:
        written[item].append(quantity)
    return written


def scheduled_upload(cart) -> SyncRun:
    result = tasks.cart_upload_task.apply(
        kwargs={"cart_id": cart.pk, "trigger": RunTrigger.SCHEDULE.value}
    )
    assert result.successful(), result.traceback
    return SyncRun.objects.filter(cart=cart, kind=RunKind.UPLOAD).latest("pk")


def given_a_cart_of(shop, count: int = ITEMS):
    variants = shop.seed(count, quantity=0)
    setup = shopify_cart(shop)
    for variant in variants:
        setup.product(variant.sku, QUANTITY)
    return setup, variants


def make_429(shop):
    shop.inject(Fault(status=429, retry_after="0.2", body={"errors": "Throttled"}, kind="write"))


def make_throttled(shop):
    # Shopify's own answer: HTTP 200 with errors[].extensions.code THROTTLED.
    shop.restore_rate = 200
    shop.exhaust_budget()


def make_5xx(shop):
    shop.inject(Fault(status=503, body={"errors": "Unavailable"}, kind="write", times=2))


def make_5xx_after_applying(shop):
    shop.inject(
        Fault(status=502, body={"errors": "Bad gateway"}, kind="write", after_handling=True)
    )


def make_5xx_beyond_the_http_retries(shop):
    # More failures than the HTTP client's attempts: the task itself retries the upload.
    shop.inject(Fault(status=500, body={"errors": "Internal"}, kind="write", times=4))


CART_FAULTS = {
    "429 Retry-After": make_429,
    "THROTTLED": make_throttled,
    "5xx": make_5xx,
    "5xx after applying": make_5xx_after_applying,
    "5xx beyond HTTP retries": make_5xx_beyond_the_http_retries,
}


@pytest.mark.parametrize("fault_name", list(CART_FAULTS))
def test_a_cart_fault_is_ridden_out_and_no_item_is_lost_or_written_twice_differently(
    db, shop, fault_name
):
    setup, variants = given_a_cart_of(shop)
    CART_FAULTS[fault_name](shop)

    scheduled_upload(setup.cart)

    runs = list(
        SyncRun.objects.filter(cart=setup.cart).order_by("pk").values_list("state", "items_sent")
    )
    assert runs[-1] == (RunState.SUCCEEDED, ITEMS)
    # Every item holds the right quantity: 0 lost.
    lost = [v.sku for v in variants if shop.quantity(v.inventory_item_id) != QUANTITY]
    assert lost == []
    written = values_written(shop)
    assert set(written) == {v.inventory_item_id for v in variants}
    # An item written more than once was written with the same value each time.
    different = [item for item, values in written.items() if len(set(values)) > 1]
    assert different == []
    twice = sum(1 for values in written.values() if len(values) > 1)
    listings = setup.cart.listings.values_list("status", "cart_quantity")
    assert set(listings) == {(ListingStatus.UPDATED, QUANTITY)}
    faulted = shop.throttled + sum(1 for call in shop.calls if call.status != 200)
    assert faulted >= 1  # the fault did happen
    print(
        f"\nFIGURE cart {fault_name}: items lost 0 of {ITEMS}, written twice with different "
        f"values 0, written twice with the same value {twice}, faulted answers {faulted}, "
        f"runs {[state for state, _ in runs]}"
    )


def test_one_poison_sku_is_quarantined_after_n_failed_runs_and_every_other_item_is_applied(
    db, shop, client
):
    setup, variants = given_a_cart_of(shop, count=20)
    poison = shop.add_variant("POISON", 0, is_mutable=False)
    setup.product("POISON", QUANTITY)
    threshold = setup.cart.failure_alert_threshold
    assert threshold == 3

    # Runs 1..N: every other item is applied on the first; the poison SKU fails each time.
    for number in range(1, threshold + 1):
        run = scheduled_upload(setup.cart)
        assert run.state == RunState.PARTIAL
        assert run.items_failed == 1
        listing = setup.listing(poison.inventory_item_id)
        assert (listing.status, listing.consecutive_failures) == (ListingStatus.FAILED, number)
    assert [shop.quantity(v.inventory_item_id) for v in variants] == [QUANTITY] * 20
    assert shop.quantity(poison.inventory_item_id) == 0
    assert listing.reason.startswith(f"Quarantined after failing {threshold} runs in a row")
    alert = Alert.objects.get(merchant=setup.merchant, resolved_at__isnull=True)
    assert alert.title == f"SKU POISON fails to upload to cart {setup.cart}"

    # Run N+1 (the scheduler): the quarantined SKU is left alone, nothing is sent.
    writes_before = shop.count("write")
    run = scheduled_upload(setup.cart)
    assert run.state == RunState.SUCCEEDED
    assert (run.items_sent, run.items_failed, run.items_skipped) == (0, 0, 1)
    assert "1 quarantined after failing 3 runs in a row" in run.message
    assert shop.count("write") == writes_before
    assert setup.listing(poison.inventory_item_id).consecutive_failures == threshold

    # View Product Sync lists it, with the reason.
    client.force_login(UserFactory(is_support_agent=True))
    page = client.get(
        reverse("carts:product_sync", args=[setup.cart.pk]), {"status": ListingStatus.FAILED}
    ).content.decode()
    assert "POISON" in page and "Quarantined after failing 3 runs in a row" in page
    assert variants[0].sku not in page

    # A person retries it (Upload now): it is sent again.
    manual = tasks.cart_upload_task.apply(
        kwargs={"cart_id": setup.cart.pk, "trigger": RunTrigger.MANUAL.value}
    )
    assert manual.successful()
    run = SyncRun.objects.filter(cart=setup.cart).latest("pk")
    assert (run.trigger, run.items_sent, run.items_failed) == (RunTrigger.MANUAL, 1, 1)
    assert shop.count("write") == writes_before + 1
    written = values_written(shop)
    assert [written[v.inventory_item_id] for v in variants] == [[QUANTITY]] * 20
    print(
        f"\nFIGURE poison SKU: 20 of 20 other items applied on run 1; quarantined after "
        f"{threshold} runs; scheduled run {threshold + 1} sent 0 calls for it"
    )


class _ShopDroppingOurDatabase(ShopifyEmulator):
    """Applies the first write, then drops the test's PostgreSQL connection (from another
    connection), as a database restart would, before our worker can record the result."""

    def __init__(self, backend_pid: int, **options) -> None:
        super().__init__(**options)
        self.backend_pid = backend_pid
        self.dropped = False

    def handle(self, request):
        response = super().handle(request)
        if not self.dropped and self.classify(request) == "write":
            self.dropped = True
            import psycopg2

            settings = connection.settings_dict
            with (
                psycopg2.connect(
                    dbname=settings["NAME"],
                    user=settings["USER"],
                    password=settings["PASSWORD"] or None,
                    host=settings["HOST"] or "127.0.0.1",
                    port=settings["PORT"] or 5432,
                ) as other,
                other.cursor() as cursor,
            ):
                cursor.execute("SELECT pg_terminate_backend(%s)", [self.backend_pid])
        return response


def test_a_database_connection_lost_mid_upload_fails_that_run_and_the_retry_completes(
    transactional_db,
):
    if connection.vendor != "postgresql":
        pytest.skip("dropping the server's connection needs PostgreSQL (SQLite has none)")
    connection.ensure_connection()
    app = _ShopDroppingOurDatabase(
        connection.connection.get_backend_pid(), maximum_available=2000, restore_rate=100000
    )
    with EmulatorServer(app) as server:
        app.url = server.url
        setup, variants = given_a_cart_of(app, count=20)

        scheduled_upload(setup.cart)

    runs = list(
        SyncRun.objects.filter(cart=setup.cart).order_by("pk").values_list("state", "message")
    )
    # The first run ends failed (recorded by the service on a fresh connection, or by the
    # task), releasing the cart at once; the task's retry completes the upload.
    assert [state for state, _ in runs] == [RunState.FAILED, RunState.SUCCEEDED]
    assert "connection" in runs[0][1]
    assert [app.quantity(v.inventory_item_id) for v in variants] == [QUANTITY] * 20
    written = values_written(app)
    assert [item for item, values in written.items() if set(values) != {QUANTITY}] == []
    assert not SyncRun.objects.filter(state=RunState.RUNNING).exists()
    print(
        "\nFIGURE database connection lost mid-upload: run failed and retried at once; items "
        "lost 0; written twice with different values 0; with the same value "
        f"{sum(1 for values in written.values() if len(values) > 1)}"
    )
