"""Upload failures: a failing item fails alone and is retried; whole-call errors follow the error
policy (transient → failed and re-raised for the task to retry, permanent → failed + alert,
configuration → failed + alert + scheduling paused); one upload per cart at a time."""

import threading

import pytest
from django.db import connection

from carts.connectors.base import CartConnector, CartItem, ItemResult, QuantityUpdate
from carts.connectors.memory import memory_cart_store_reset
from carts.models import Cart, ListingStatus
from carts.services import cart_settings_update
from integration_manager.connector_errors import TransientError
from merchants.services import connection_secrets_update, merchant_delete
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services.upload import cart_inventory_upload
from tests.sync.upload_fixtures import make_upload_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    yield make_upload_setup()
    memory_cart_store_reset()


def open_alerts(cart: Cart) -> dict[str, Alert]:
    return {
        alert.key: alert
        for alert in Alert.objects.filter(
            merchant=cart.merchant, resolved_at__isnull=True, dismissed_at__isnull=True
        )
    }


def test_a_failing_item_is_recorded_on_its_listing_while_the_rest_are_applied(setup):
    setup.product("GOOD", 5)
    setup.product("BAD", 6)
    setup.item("good", "GOOD", quantity=0)
    setup.item("bad", "BAD", quantity=1)
    setup.store.fail_sku("BAD", kind="permanent")

    run = setup.upload()

    assert run.state == RunState.PARTIAL
    assert (run.items_sent, run.items_failed, run.records_changed) == (2, 1, 1)
    assert setup.store.written == [("good", 5)]
    assert setup.store.quantity_of("bad") == 1
    bad = setup.listing("bad")
    assert bad.status == ListingStatus.FAILED
    assert bad.consecutive_failures == 1
    assert "Fake cart rejected SKU BAD" in bad.reason
    assert bad.posted_quantity is None
    assert bad.last_synced_at is None
    assert setup.listing("good").status == ListingStatus.UPDATED
    assert "Failed: SKU BAD [bad]" in run.log


def test_a_failed_item_is_retried_on_the_next_run_even_without_new_data(setup):
    setup.product("GOOD", 5)
    setup.product("BAD", 6)
    setup.item("good", "GOOD", quantity=0)
    setup.item("bad", "BAD", quantity=1)
    setup.store.fail_sku("BAD", kind="transient", times=1)
    setup.upload()
    setup.store.reset_counters()

    run = setup.upload()

    assert setup.store.writes == [[("bad", 6)]]
    assert run.state == RunState.SUCCEEDED
    bad = setup.listing("bad")
    assert (bad.status, bad.consecutive_failures, bad.cart_quantity) == (
        ListingStatus.UPDATED,
        0,
        6,
    )


def test_an_item_failing_n_runs_in_a_row_raises_an_alert_that_a_success_resolves(setup):
    setup.cart.failure_alert_threshold = 3
    setup.cart.save()
    setup.product("BAD", 6)
    setup.item("bad", "BAD", quantity=1)
    setup.store.fail_sku("BAD", kind="permanent")
    listing_key = None

    for run_number in (1, 2):
        setup.upload()
        listing_key = f"listing:{setup.listing('bad').pk}:failing"
        assert listing_key not in open_alerts(setup.cart), run_number

    third = setup.upload()

    alert = open_alerts(setup.cart)[listing_key]
    assert alert.run == third
    assert alert.cart == setup.cart
    assert "failed 3 runs in a row" in alert.message
    assert setup.listing("bad").consecutive_failures == 3

    setup.upload()
    assert open_alerts(setup.cart)[listing_key].occurrences == 2

    setup.store.failing_skus.clear()
    setup.upload()

    assert listing_key not in open_alerts(setup.cart)
    assert setup.listing("bad").consecutive_failures == 0
    assert setup.store.quantity_of("bad") == 6


def test_a_compare_and_set_mismatch_fails_the_item_and_learns_what_the_cart_holds(setup):
    product = setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=5)
    setup.upload()
    setup.store.compare_expected = True
    setup.store.edit_quantity("item-a", 2)  # edited by hand; we still believe 5
    setup.stock(product, 8)

    first = setup.upload()

    assert first.items_failed == 1
    assert setup.listing("item-a").cart_quantity == 2
    assert setup.store.quantity_of("item-a") == 2

    second = setup.upload()

    assert second.state == RunState.SUCCEEDED
    assert setup.store.quantity_of("item-a") == 8


def test_transient_error_fails_the_run_saying_it_will_be_retried_and_is_re_raised(setup):
    setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.store.fail_calls("write", kind="transient", times=1, message="HTTP 503")

    with pytest.raises(TransientError):
        setup.upload()

    run = SyncRun.objects.get(cart=setup.cart)
    assert run.state == RunState.FAILED
    assert "HTTP 503" in run.message
    assert "will be retried" in run.message
    assert setup.store.quantity_of("item-a") == 0
    assert setup.listing("item-a").posted_quantity is None
    assert open_alerts(setup.cart) == {}

    retried = setup.upload()

    assert retried.state == RunState.SUCCEEDED
    assert setup.store.quantity_of("item-a") == 5


def test_transient_error_mid_run_keeps_the_batches_the_cart_confirmed(setup):
    setup.cart.connection_parameters = {**setup.cart.connection_parameters, "max_batch_size": 1}
    setup.cart.save()
    setup.product("SKU-A", 5)
    setup.product("SKU-B", 6)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.item("item-b", "SKU-B", quantity=0)
    setup.upload()  # the first read
    setup.store.failing_calls.clear()
    setup.stock(setup.product("SKU-A"), 7)
    setup.stock(setup.product("SKU-B"), 8)
    setup.store.reset_counters()

    original_apply = setup.store._apply
    calls = []

    def apply_then_fail(updates):
        # The first write goes through; the second times out.
        calls.append(updates)
        if len(calls) == 2:
            raise TransientError("timeout")
        return original_apply(updates)

    setup.store._apply = apply_then_fail

    with pytest.raises(TransientError):
        setup.upload()

    assert setup.store.quantity_of("item-a") == 7
    assert setup.listing("item-a").cart_quantity == 7
    assert setup.listing("item-b").cart_quantity == 6
    assert setup.store.quantity_of("item-b") == 6


def test_transient_read_error_part_way_marks_nothing_removed_and_reads_again_next_time(setup):
    setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.item("item-b", "SKU-A", quantity=0)
    setup.store.fail_calls("list", kind="transient", after_items=1)

    with pytest.raises(TransientError):
        setup.upload()

    assert setup.cart.last_reconciled_at is None
    assert setup.store.write_calls == 0
    # What the cart did report is kept; nothing is marked removed.
    assert setup.listing("item-a").status == ListingStatus.PENDING
    assert not setup.cart.listings.filter(external_item_id="item-b").exists()

    setup.upload()

    assert setup.store.list_calls == 2
    assert [setup.store.quantity_of(item) for item in ("item-a", "item-b")] == [5, 5]


def test_permanent_error_fails_the_run_without_re_raising_and_raises_an_alert(setup):
    setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.store.fail_calls("write", kind="permanent", message="payload rejected")

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "payload rejected" in run.message
    alert = open_alerts(setup.cart)[f"cart:{setup.cart.pk}:upload"]
    assert alert.run == run
    assert setup.store.quantity_of("item-a") == 0
    assert setup.cart.scheduling_paused_reason == ""

    setup.upload()

    assert f"cart:{setup.cart.pk}:upload" not in open_alerts(setup.cart)


def test_configuration_error_alerts_and_pauses_scheduling_until_the_settings_change(setup):
    setup.store.required_token = "s3cret"
    setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "rejected the token" in run.message
    key = f"cart:{setup.cart.pk}:connection"
    assert key in open_alerts(setup.cart)
    assert setup.cart.scheduling_paused_reason == "The fake cart rejected the token."
    assert setup.store.write_calls == 0

    connection_secrets_update(connection=setup.cart, secrets={"token": "s3cret"})
    cart_settings_update(cart=setup.cart, upload_interval_minutes=30)
    setup.cart.refresh_from_db()
    assert setup.cart.scheduling_paused_reason == ""

    fixed = setup.upload()

    assert fixed.state == RunState.SUCCEEDED
    assert key not in open_alerts(setup.cart)
    assert setup.store.quantity_of("item-a") == 5


def test_a_cart_without_a_known_connector_is_a_configuration_error(setup):
    setup.cart.connector_key = "nonexistent"
    setup.cart.save()

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "unknown connector 'nonexistent'" in run.message
    assert setup.cart.scheduling_paused_reason


def test_a_claim_for_a_cart_already_uploading_is_recorded_as_skipped(setup):
    setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)
    running = SyncRun.objects.create(
        kind=RunKind.UPLOAD,
        merchant=setup.merchant,
        cart=setup.cart,
        trigger=RunTrigger.SCHEDULE,
        state=RunState.RUNNING,
    )

    skipped = setup.upload()

    assert skipped.state == RunState.SKIPPED
    assert skipped.pk != running.pk
    assert (setup.store.list_calls, setup.store.write_calls) == (0, 0)
    assert setup.store.quantity_of("item-a") == 0


class _BlockingCart(CartConnector):
    """Holds its read open until released, so a second upload can race the first."""

    key = "blocking-test"
    label = "Blocking"

    def __init__(self, items: list[CartItem]) -> None:
        super().__init__(parameters={})
        self.items = items
        self.reading = threading.Event()
        self.release = threading.Event()
        self.written: list[QuantityUpdate] = []

    def list_items(self):
        self.reading.set()
        assert self.release.wait(timeout=30)
        yield from self.items

    def set_quantities(self, updates):
        self.written.extend(updates)
        return [ItemResult(update.external_item_id, ok=True) for update in updates]

    def check(self) -> str:
        return "blocking"


@pytest.fixture
def committed_setup():
    """For tests whose threads need committed data. Deleted through `merchant_delete`: the
    teardown's flush deletes tables in no fixed order on SQLite, and the database refuses to
    delete a Default warehouse while its merchant exists."""
    setup = make_upload_setup()
    yield setup
    merchant_delete(merchant=setup.merchant)
    memory_cart_store_reset()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_cart_give_one_run_and_one_skipped(committed_setup):
    setup = committed_setup
    setup.product("SKU-A", 5)
    connector = _BlockingCart([CartItem("item-a", "", "SKU-A", "", True, 0)])
    outcome = {}

    def first_worker():
        try:
            cart = Cart.objects.get(pk=setup.cart.pk)
            outcome["first"] = cart_inventory_upload(
                cart=cart, trigger=RunTrigger.SCHEDULE, connector=connector
            )
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert connector.reading.wait(timeout=30)
        second = cart_inventory_upload(
            cart=Cart.objects.get(pk=setup.cart.pk),
            trigger=RunTrigger.AUTOMATIC,
            connector=connector,
        )
    finally:
        connector.release.set()
        worker.join(timeout=30)

    assert second.state == RunState.SKIPPED
    assert outcome["first"].state == RunState.SUCCEEDED
    assert [(update.external_item_id, update.quantity) for update in connector.written] == [
        ("item-a", 5)
    ]
    states = sorted(SyncRun.objects.filter(cart=setup.cart).values_list("state", flat=True))
    assert states == [RunState.SKIPPED, RunState.SUCCEEDED]
