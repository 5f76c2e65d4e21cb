"""Warehouse-system faults, over real HTTP against the Extensiv 3PL emulator, through the real
download task (with its retries): a 5xx that does not go away, a timeout, a connection dropped in
the middle of a response, and malformed JSON. Each one: the run fails saying why, not one level
changes, and an alert is raised. Figures for RELIABILITY.md are printed (`-s`)."""

import time

import pytest

from sync import tasks
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services.scheduling import MAX_RETRIES
from tests.connectors.test_extensiv_3pl import _items, _levels, _merchant
from tests.emulators.server import Fault
from warehouses.models import InventoryLevel

STOCK = r"stocksummaries\?.*pgnum=2\b"  # the second of three pages: a fault part way through

FAULTS = {
    "5xx": (
        Fault(status=503, body="upstream down", path=STOCK, times=999),
        "HTTP 503",
    ),
    "timeout": (Fault(latency=1.5, path=STOCK, times=999), "timed out"),
    "dropped mid-stream": (Fault(drop_connection=True, path=STOCK, times=999), "connection"),
    "malformed JSON": (
        Fault(status=200, body='{"totalResults": 1200, "summ', path=STOCK, times=999),
        "the response is not valid JSON",
    ),
}


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_a_warehouse_fault_fails_the_run_with_its_reason_changes_no_level_and_alerts(
    db, wms, fault_name
):
    # Given 1200 products already loaded, and the warehouse now reporting other numbers,
    _items(wms, 1200)
    merchant = _merchant(wms, read_timeout=0.5, max_attempts=2, backoff_base=0.01)
    first = tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, "trigger": RunTrigger.SCHEDULE.value}
    )
    assert first.successful()
    before = _levels(merchant)
    loaded_at_before = set(
        InventoryLevel.objects.filter(product__merchant=merchant).values_list("pk", "loaded_at")
    )
    assert len(before) == 1200
    for number in range(1, 1201):
        wms.set_stock(10_000 + number, 1, on_hand=1)
    fault, reason = FAULTS[fault_name]
    wms.inject(fault)

    # when the scheduled download meets the fault (the task's last retry, so no more follow),
    started = time.monotonic()
    result = tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, "trigger": RunTrigger.SCHEDULE.value},
        retries=MAX_RETRIES,
    )
    seconds = time.monotonic() - started

    # then the run failed with the reason,
    assert result.successful()
    run = SyncRun.objects.filter(merchant=merchant, kind=RunKind.DOWNLOAD).latest("pk")
    assert run.state == RunState.FAILED
    assert reason.lower() in run.message.lower(), run.message
    assert run.records_changed == 0
    # not one level changed (not even its load time),
    assert _levels(merchant) == before
    assert (
        set(
            InventoryLevel.objects.filter(product__merchant=merchant).values_list("pk", "loaded_at")
        )
        == loaded_at_before
    )
    # and a person is told.
    alert = Alert.objects.get(merchant=merchant, resolved_at__isnull=True)
    assert alert.key == "download"
    assert alert.run_id == run.pk
    print(
        f"\nFIGURE warehouse {fault_name}: levels changed 0 of {len(before)}, "
        f"failed in {seconds:.2f} s, message: {run.message}"
    )


def test_the_next_download_after_the_fault_is_gone_applies_everything_and_resolves_the_alert(
    db, wms
):
    _items(wms, 1200)
    merchant = _merchant(wms, read_timeout=0.5, max_attempts=2, backoff_base=0.01)
    wms.inject(Fault(status=503, body="upstream down", path=STOCK, times=2))
    tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, "trigger": RunTrigger.SCHEDULE.value},
        retries=MAX_RETRIES,
    )
    assert InventoryLevel.objects.filter(product__merchant=merchant).count() == 0
    assert Alert.objects.filter(merchant=merchant, resolved_at__isnull=True).count() == 1

    tasks.inventory_download_task.apply(
        kwargs={"merchant_id": merchant.pk, "trigger": RunTrigger.SCHEDULE.value}
    )

    run = SyncRun.objects.filter(merchant=merchant).latest("pk")
    assert run.state == RunState.SUCCEEDED
    assert len(_levels(merchant)) == 1200
    assert Alert.objects.filter(merchant=merchant, resolved_at__isnull=True).count() == 0
