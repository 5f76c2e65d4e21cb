"""The sync tasks, run eagerly with `apply()` against the real services and the in-memory fake
connectors: transient errors are retried with a bounded, jittered countdown that honours
Retry-After; permanent and configuration errors are not retried; a repeated delivery is harmless.

`apply(throw=True)` raises celery's `Retry` exactly where a worker would re-publish the task, so
its countdown (`when`) and the arguments of the retry (`sig.kwargs`) are what a worker would send.
"""

import itertools
from collections.abc import Iterator

import pytest
from celery.exceptions import Retry

from carts.connectors.memory import memory_cart_store, memory_cart_store_reset
from carts.models import Cart, UploadMode
from integration_manager.connector_errors import TransientError
from merchants.models import InventorySyncMode, Merchant
from sync import tasks
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services.scheduling import (
    MAX_RETRIES,
    download_request,
    due_downloads_dispatch,
    upload_request,
)
from tests.factories import CartFactory, MerchantFactory, SyncRunFactory, UserFactory
from warehouses.connectors import WAREHOUSE_CONNECTORS, WarehouseConnector
from warehouses.connectors.memory import memory_warehouse_store, memory_warehouse_store_reset
from warehouses.models import InventoryLevel

pytestmark = pytest.mark.django_db

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _forget_fakes():
    yield
    memory_warehouse_store_reset()
    memory_cart_store_reset()


@pytest.fixture
def merchant():
    name = f"tasks-wms-{next(_names)}"
    wms = memory_warehouse_store(name)
    wms.set_stock("SKU-1", 7)
    made = MerchantFactory(
        connector_key="memory",
        connection_parameters={"store": name},
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
    )
    made.wms = wms
    return made


@pytest.fixture
def cart(merchant):
    name = f"tasks-cart-{next(_names)}"
    store = memory_cart_store(name)
    store.add_item("item-1", sku="SKU-1", quantity=0)
    made = CartFactory(
        merchant=merchant,
        connector_key="memory",
        connection_parameters={"store": name},
        upload_mode=UploadMode.AUTOMATIC,
    )
    made.store = store
    return made


class RetryAfterWarehouse(WarehouseConnector):
    """A warehouse system that always answers 429 with a Retry-After."""

    key = "retry-after-test"
    label = "Always rate-limited"

    def warehouses(self):
        return iter(())

    def stock(self) -> Iterator:
        raise TransientError(
            "Rate limited by the warehouse system",
            retry_after=float(self.parameters["retry_after"]),
        )

    def check(self) -> str:
        return "ok"


def download(merchant: Merchant, *, throw: bool = True, retries: int = 0, **kwargs):
    """Run the download task as a worker would, as delivery number `retries + 1`. With `throw`,
    raise what the task raised (celery's `Retry` included); without, an eager retry runs at once,
    inline, until the task returns."""
    kwargs.setdefault("trigger", "schedule")
    return tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, **kwargs},
        throw=throw,
        retries=retries,
        task_id="task-1",
    )


def upload(cart: Cart, *, throw: bool = True, retries: int = 0, **kwargs):
    kwargs.setdefault("trigger", "schedule")
    return tasks.cart_upload_task.apply(
        kwargs={"cart_id": cart.pk, **kwargs}, throw=throw, retries=retries, task_id="task-1"
    )


# --- Downloads -------------------------------------------------------------------------------


def test_transient_download_error_is_retried_with_a_jittered_countdown(merchant):
    merchant.wms.fail_calls("stock", kind="transient", times=-1, message="WMS timed out.")

    with pytest.raises(Retry) as retry:
        download(merchant)

    assert 0 <= retry.value.when <= 10
    assert retry.value.sig.kwargs == {
        "merchant_id": merchant.pk,
        "trigger": "schedule",
        "run_id": None,
        "accept_suspicious": False,
    }
    run = SyncRun.objects.get()
    assert (run.kind, run.state, run.task_id) == (RunKind.DOWNLOAD, RunState.FAILED, "task-1")
    assert run.message.endswith(f"Retry 1 of {MAX_RETRIES} in {retry.value.when:.0f} s.")
    assert merchant.wms.stock_calls == 1
    assert not InventoryLevel.objects.exists()
    assert not Alert.objects.exists()


def test_later_download_retries_wait_longer_but_never_beyond_the_cap(merchant):
    merchant.wms.fail_calls("stock", kind="transient", times=-1)

    with pytest.raises(Retry) as retry:
        download(merchant, retries=3)

    assert 0 <= retry.value.when <= 80
    assert "Retry 4 of 5" in SyncRun.objects.get().message


def test_download_retry_honours_retry_after(merchant, monkeypatch):
    monkeypatch.setitem(WAREHOUSE_CONNECTORS, RetryAfterWarehouse.key, RetryAfterWarehouse)
    Merchant.objects.filter(pk=merchant.pk).update(
        connector_key=RetryAfterWarehouse.key, connection_parameters={"retry_after": 300}
    )

    with pytest.raises(Retry) as retry:
        download(merchant)

    assert retry.value.when == 300


def test_download_retry_bounds_an_excessive_retry_after(merchant, monkeypatch):
    monkeypatch.setitem(WAREHOUSE_CONNECTORS, RetryAfterWarehouse.key, RetryAfterWarehouse)
    Merchant.objects.filter(pk=merchant.pk).update(
        connector_key=RetryAfterWarehouse.key, connection_parameters={"retry_after": 86_400}
    )

    with pytest.raises(Retry) as retry:
        download(merchant)

    assert retry.value.when == 1800


def test_download_gives_up_after_the_last_retry_with_the_run_failed_and_an_alert(
    merchant,
):
    merchant.wms.fail_calls("stock", kind="transient", times=-1, message="WMS timed out.")

    result = download(merchant, retries=MAX_RETRIES)

    assert result.result is None
    run = SyncRun.objects.get()
    assert run.state == RunState.FAILED
    assert run.message == f"WMS timed out. Gave up after {MAX_RETRIES + 1} attempts."
    alert = Alert.objects.get()
    assert (alert.key, alert.run, alert.title) == (
        "download",
        run,
        f"Inventory download failed {MAX_RETRIES + 1} times in a row",
    )


def test_download_failing_every_time_is_tried_exactly_max_retries_plus_one_times(merchant):
    merchant.wms.fail_calls("stock", kind="transient", times=-1, message="WMS timed out.")

    download(merchant, throw=False)

    assert merchant.wms.stock_calls == MAX_RETRIES + 1
    runs = list(SyncRun.objects.order_by("id"))
    assert [run.state for run in runs] == [RunState.FAILED] * (MAX_RETRIES + 1)
    assert "Retry 1 of 5" in runs[0].message
    assert runs[-1].message == f"WMS timed out. Gave up after {MAX_RETRIES + 1} attempts."
    assert Alert.objects.filter(key="download", resolved_at__isnull=True).count() == 1


def test_download_that_recovers_on_a_retry_succeeds_and_applies_once(merchant):
    merchant.wms.fail_calls("stock", kind="transient", times=2)

    download(merchant, throw=False)

    assert merchant.wms.stock_calls == 3
    assert [run.state for run in SyncRun.objects.order_by("id")] == [
        RunState.FAILED,
        RunState.FAILED,
        RunState.SUCCEEDED,
    ]
    assert list(InventoryLevel.objects.values_list("product__sku", "quantity_available")) == [
        ("SKU-1", 7)
    ]
    assert not Alert.objects.exists()


def test_the_retries_of_a_download_someone_asked_for_are_still_recorded_as_theirs(merchant):
    person = UserFactory()
    merchant.wms.fail_calls("stock", kind="transient", times=2)
    requested = download_request(merchant=merchant, user=person)

    download(merchant, throw=False, trigger="manual", run_id=requested.pk)

    runs = list(SyncRun.objects.order_by("id"))
    assert [run.state for run in runs] == [RunState.FAILED, RunState.FAILED, RunState.SUCCEEDED]
    assert [run.requested_by for run in runs] == [person] * 3
    assert [run.trigger for run in runs] == [RunTrigger.MANUAL] * 3


def test_the_retry_of_an_upload_someone_asked_for_is_still_recorded_as_theirs(cart):
    person = UserFactory()
    cart.store.fail_calls("list", kind="transient", times=1)
    requested = upload_request(cart=cart, user=person)

    upload(cart, throw=False, trigger="manual", run_id=requested.pk)

    runs = list(SyncRun.objects.filter(kind=RunKind.UPLOAD).order_by("id"))
    assert [run.state for run in runs] == [RunState.FAILED, RunState.SUCCEEDED]
    assert [run.requested_by for run in runs] == [person] * 2


def test_permanent_download_error_is_not_retried(merchant):
    merchant.wms.fail_calls("stock", kind="permanent", times=-1, message="Bad data.")

    download(merchant)  # no Retry raised

    assert merchant.wms.stock_calls == 1
    run = SyncRun.objects.get()
    assert (run.state, run.message) == (RunState.FAILED, "Bad data.")
    assert Alert.objects.get().key == "download"


def test_configuration_error_is_not_retried_and_pauses_the_schedule(merchant):
    merchant.wms.fail_calls("stock", kind="configuration", times=-1, message="Key rejected.")

    download(merchant)

    assert merchant.wms.stock_calls == 1
    assert SyncRun.objects.get().state == RunState.FAILED
    merchant.refresh_from_db()
    assert merchant.scheduling_paused_reason != ""
    assert due_downloads_dispatch() == []


def test_requested_download_runs_its_queued_run_and_a_repeated_delivery_does_nothing(
    merchant,
):
    run = download_request(merchant=merchant, user=None)

    download(merchant, trigger="manual", run_id=run.pk)
    download(merchant, trigger="manual", run_id=run.pk)

    run.refresh_from_db()
    assert (run.state, run.trigger, run.task_id) == (
        RunState.SUCCEEDED,
        RunTrigger.MANUAL,
        "task-1",
    )
    assert SyncRun.objects.count() == 1
    assert merchant.wms.stock_calls == 1


def test_task_for_a_run_the_reaper_failed_does_nothing(merchant):
    run = SyncRunFactory(merchant=merchant, state=RunState.FAILED, started_at=None)

    download(merchant, trigger="manual", run_id=run.pk)

    assert merchant.wms.stock_calls == 0
    assert SyncRun.objects.count() == 1


def test_task_for_a_deleted_merchant_does_nothing():
    result = tasks.inventory_download_task.apply(
        kwargs={"merchant_id": 999_999, "trigger": "schedule"}, throw=True
    )
    assert result.result is None
    assert not SyncRun.objects.exists()


# --- Uploads ---------------------------------------------------------------------------------


def test_transient_upload_error_is_retried_with_a_jittered_countdown(cart):
    cart.store.fail_calls("list", kind="transient", times=-1, message="Cart timed out")

    with pytest.raises(Retry) as retry:
        upload(cart, reconcile=True)

    assert 0 <= retry.value.when <= 10
    assert retry.value.sig.kwargs == {
        "cart_id": cart.pk,
        "trigger": "schedule",
        "run_id": None,
        "reconcile": True,
    }
    run = SyncRun.objects.get()
    assert (run.kind, run.cart, run.state) == (RunKind.UPLOAD, cart, RunState.FAILED)
    assert "Retry 1 of 5" in run.message
    assert cart.store.writes == []


def test_upload_gives_up_after_the_last_retry_with_the_run_failed_and_an_alert(cart):
    cart.store.fail_calls("list", kind="transient", times=-1, message="Cart timed out.")

    upload(cart, retries=MAX_RETRIES)

    run = SyncRun.objects.get()
    assert run.state == RunState.FAILED
    assert run.message == f"Cart timed out. Gave up after {MAX_RETRIES + 1} attempts."
    alert = Alert.objects.get()
    assert (alert.key, alert.cart, alert.run) == (f"cart:{cart.pk}:upload", cart, run)


def test_permanent_upload_error_is_not_retried(cart):
    cart.store.fail_calls("list", kind="permanent", times=-1, message="Forbidden")

    upload(cart)

    assert cart.store.list_calls == 1
    assert SyncRun.objects.get().state == RunState.FAILED
    assert cart.store.writes == []


def test_requested_upload_runs_its_queued_run_and_a_repeated_delivery_does_nothing(
    cart,
):
    InventoryLevel.objects.create(
        product=cart.merchant.products.create(sku="SKU-1"),
        warehouse=cart.merchant.warehouses.get(is_default=True),
        quantity_on_hand=4,
        quantity_available=4,
        loaded_at="2026-01-01T00:00:00Z",
    )
    run = upload_request(cart=cart, user=None)

    upload(cart, trigger="manual", run_id=run.pk)
    upload(cart, trigger="manual", run_id=run.pk)

    run.refresh_from_db()
    assert (run.state, run.task_id) == (RunState.SUCCEEDED, "task-1")
    assert cart.store.written == [("item-1", 4)]
    assert cart.store.list_calls == 1
    assert SyncRun.objects.count() == 1


def test_automatic_upload_skipped_by_a_running_upload_is_retried_later(cart):
    SyncRunFactory(merchant=cart.merchant, cart=cart, kind=RunKind.UPLOAD, state=RunState.RUNNING)

    with pytest.raises(Retry) as retry:
        upload(cart, trigger="automatic")

    assert 0 <= retry.value.when <= 10
    assert retry.value.sig.kwargs["trigger"] == "automatic"
    assert SyncRun.objects.filter(state=RunState.SKIPPED).count() == 1
    assert cart.store.list_calls == 0


def test_scheduled_upload_skipped_by_a_running_upload_is_not_retried(cart):
    SyncRunFactory(merchant=cart.merchant, cart=cart, kind=RunKind.UPLOAD, state=RunState.RUNNING)

    upload(cart, trigger="schedule")

    assert SyncRun.objects.filter(state=RunState.SKIPPED).count() == 1


# --- Dispatcher tasks ------------------------------------------------------------------------


def test_dispatcher_and_reaper_tasks_call_their_services(merchant, monkeypatch):
    monkeypatch.setattr(tasks.inventory_download_task, "delay", lambda **kwargs: None)

    assert tasks.dispatch_due_downloads.apply().result == [merchant.pk]
    assert tasks.dispatch_due_uploads.apply().result == []
    assert tasks.reap_stuck_runs.apply().result == []
