"""End to end, with a real Celery worker and beat: beat's dispatcher enqueues the scheduled
download, the worker runs it, the download enqueues the upload of the cart on Automatic, and the
new quantity arrives in the fake cart, with no direct call of any service from the test.

The fakes keep their state in JSON files, so the worker and this test see the same warehouse
system and the same cart.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.connectors.memory import memory_cart_state_file
from carts.models import Cart, CartListing, ListingStatus, UploadMode
from merchants.models import InventorySyncMode, Merchant
from sync.models import Heartbeat, RunKind, RunState, RunTrigger, SyncRun
from tests.factories import CartFactory, MerchantFactory, UserFactory
from warehouses.connectors.memory import memory_warehouse_state_file

pytestmark = pytest.mark.e2e

COMPONENTS = ("beat", "worker:default", "worker:downloads", "worker:uploads")


def cart_quantity(state_file: Path, external_item_id: str) -> int | None:
    with memory_cart_state_file(state_file) as store:
        return store.quantity_of(external_item_id)


def download_runs(merchant: Merchant) -> list[tuple[str, str]]:
    return list(
        SyncRun.objects.filter(merchant=merchant, kind=RunKind.DOWNLOAD)
        .order_by("id")
        .values_list("trigger", "state")
    )


def settled(merchant: Merchant) -> bool:
    """No run of the merchant is queued or running (the cart's state file is written before the
    upload's run is finished)."""
    return not SyncRun.objects.filter(
        merchant=merchant, state__in=[RunState.QUEUED, RunState.RUNNING]
    ).exists()


def test_scheduled_download_is_followed_by_the_automatic_upload_into_the_cart(
    celery_stack, tmp_path
):
    # Given a warehouse system reporting 12 of SKU-1 and a cart listing SKU-1 at 0,
    wms_file, cart_file = tmp_path / "wms.json", tmp_path / "cart.json"
    with memory_warehouse_state_file(wms_file) as wms:
        wms.add_warehouse("EAST", "East")
        wms.set_stock("SKU-1", 12, warehouse_code="EAST")
    with memory_cart_state_file(cart_file) as fake_cart:
        fake_cart.add_item("item-1", sku="SKU-1", quantity=0)
    # a merchant downloading on a schedule and a cart on Automatic (whose periodic re-read is
    # not due, so only the download can make it upload).
    merchant = MerchantFactory(
        connector_key="memory",
        connection_parameters={"state_file": str(wms_file)},
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        inventory_interval_minutes=60,
    )
    cart = CartFactory(
        merchant=merchant,
        connector_key="memory",
        connection_parameters={"state_file": str(cart_file)},
        upload_mode=UploadMode.AUTOMATIC,
    )
    Cart.objects.filter(pk=cart.pk).update(
        next_upload_at=timezone.now() + timedelta(minutes=cart.reconcile_interval_minutes - 1)
    )

    # When beat and the worker do their work, the cart receives the quantity.
    celery_stack.wait_for(
        "the cart to hold 12 of SKU-1 and the runs to finish",
        lambda: cart_quantity(cart_file, "item-1") == 12 and settled(merchant),
    )

    assert download_runs(merchant) == [(RunTrigger.SCHEDULE, RunState.SUCCEEDED)]
    merchant.refresh_from_db()
    assert merchant.next_download_at > timezone.now() + timedelta(minutes=59)
    uploads = SyncRun.objects.filter(cart=cart, kind=RunKind.UPLOAD)
    assert set(uploads.values_list("trigger", flat=True)) == {RunTrigger.AUTOMATIC}
    assert uploads.filter(state=RunState.SUCCEEDED, items_sent=1).count() == 1
    listing = CartListing.objects.get(cart=cart, external_item_id="item-1")
    assert (listing.cart_quantity, listing.posted_quantity, listing.status) == (
        12,
        12,
        ListingStatus.UPDATED,
    )

    # When the warehouse's stock changes and the next scheduled download comes round (its time
    # is brought forward instead of waiting an hour),
    with memory_warehouse_state_file(wms_file) as wms:
        wms.set_stock("SKU-1", 5, warehouse_code="EAST")
    Merchant.objects.filter(pk=merchant.pk).update(next_download_at=timezone.now())

    # then the cart follows.
    celery_stack.wait_for(
        "the cart to follow the warehouse to 5 and the runs to finish",
        lambda: cart_quantity(cart_file, "item-1") == 5 and settled(merchant),
    )
    assert download_runs(merchant) == [(RunTrigger.SCHEDULE, RunState.SUCCEEDED)] * 2
    with memory_cart_state_file(cart_file) as fake_cart:
        assert fake_cart.written == [("item-1", 12), ("item-1", 5)]
        # The cart was read once, on its first upload; after that we know what it holds.
        assert fake_cart.list_calls == 1


def test_heartbeats_of_beat_and_of_every_queue_advance_and_show_alive(celery_stack, client):
    def heartbeats() -> dict[str, object]:
        return dict(Heartbeat.objects.values_list("component", "at"))

    first = celery_stack.wait_for(
        "a heartbeat from beat and from a worker on every queue",
        lambda: (seen := heartbeats()) and set(COMPONENTS) <= set(seen) and seen,
    )
    celery_stack.wait_for(
        "every heartbeat to advance",
        lambda: all(heartbeats()[component] > first[component] for component in COMPONENTS),
    )

    client.force_login(UserFactory(is_support_agent=True))
    page = client.get(reverse("sync:status")).content.decode()

    for component in COMPONENTS:
        row = page.split(f'data-component="{component}"', 1)[1].split("</tr>", 1)[0]
        assert "Alive" in row, component
