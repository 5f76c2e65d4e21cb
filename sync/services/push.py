"""An inventory push: the warehouse system of a merchant on Automatic sends stock records to the
REST API instead of being polled (PRODUCT.md §2).

The records go through the same download as a poll (`inventory_download`, validated, staged,
applied all or nothing, Automatic carts' uploads queued on commit), run synchronously in the
request so that the uploads start at once. A push is a partial update: only the SKUs it names
change, the other products are neither flagged as not reported nor counted by the
suspicious-download hold.

Idempotent by the client's request id: the first push with an id takes an `InventoryPush` row
pointing to its run, in its own transaction, before applying anything; a push with an id
already taken answers with that run. A push that applied nothing (its run failed or was
skipped) gives its id back, so the client can send it again.
"""

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from merchants.models import InventorySyncMode, Merchant
from sync.models import InventoryPush, RunKind, RunState, RunTrigger, SyncRun
from sync.services.download import inventory_download
from warehouses.connectors.base import StockRecord, WarehouseConnector, WarehouseInfo

# How long a push waits for another download of the merchant to finish before answering "busy".
CLAIM_WAIT_SECONDS = 5.0
_APPLIED_NOTHING = (RunState.FAILED, RunState.SKIPPED)


class PushNotAccepted(Exception):
    """The merchant does not take pushes (its sync mode is not Automatic)."""


class PushBusy(Exception):
    """Another download of the merchant held the claim: nothing was applied; try again."""


@dataclass(frozen=True)
class PushResult:
    run: SyncRun
    is_replay: bool


class PushedRecordsConnector(WarehouseConnector):
    """The records of one push behind the warehouse connector contract (never registered: it
    is not a platform a merchant chooses)."""

    key = "push"
    label = "the REST API (inventory push)"

    def __init__(self, records: Sequence[StockRecord]) -> None:
        super().__init__(parameters={})
        self._records = records

    def warehouses(self) -> Iterator[WarehouseInfo]:
        return iter(())

    def stock(self) -> Iterator[StockRecord]:
        return iter(self._records)

    def check(self) -> str:
        return "pushed records"


def inventory_push(
    *, merchant: Merchant, request_id: str, records: Sequence[StockRecord]
) -> PushResult:
    """Apply pushed records once per `request_id`. Raises `PushNotAccepted` when the merchant is
    not on Automatic, `PushBusy` when another download kept the claim past the wait."""
    if merchant.inventory_sync_mode != InventorySyncMode.AUTOMATIC:
        raise PushNotAccepted(
            f"Merchant '{merchant}' does not take pushed inventory: its Synchronization With "
            "WMS – Inventory is not Automatic."
        )
    push = _push_take(merchant=merchant, request_id=request_id)
    if push is None:
        existing = InventoryPush.objects.select_related("run").get(
            merchant=merchant, request_id=request_id
        )
        return PushResult(run=existing.run, is_replay=True)
    _wait_for_running_download(merchant=merchant)
    try:
        run = inventory_download(
            merchant=merchant,
            trigger=RunTrigger.PUSH,
            run=push.run,
            connector=PushedRecordsConnector(records),
            is_partial=True,
        )
    except BaseException:
        # Nothing was applied (a download applies all or nothing): give the id back.
        InventoryPush.objects.filter(pk=push.pk).delete()
        raise
    if run.state in _APPLIED_NOTHING:
        InventoryPush.objects.filter(pk=push.pk).delete()
        if run.state == RunState.SKIPPED:
            raise PushBusy(
                "Another inventory download of this merchant is running: nothing was applied. "
                "Send the same request again shortly."
            )
    return PushResult(run=run, is_replay=False)


def _push_take(*, merchant: Merchant, request_id: str) -> InventoryPush | None:
    """Take the request id with a new queued run, or None when it is taken by a push that
    applied (or is applying) its records. A taken id whose run applied nothing is given back."""
    for _ in range(2):
        try:
            with transaction.atomic():
                run = SyncRun.objects.create(
                    kind=RunKind.DOWNLOAD,
                    merchant=merchant,
                    trigger=RunTrigger.PUSH,
                    state=RunState.QUEUED,
                )
                return InventoryPush.objects.create(
                    merchant=merchant, request_id=request_id, run=run
                )
        except IntegrityError:
            released = InventoryPush.objects.filter(
                merchant=merchant, request_id=request_id, run__state__in=_APPLIED_NOTHING
            ).delete()[0]
            if not released:
                return None
    return None


def _wait_for_running_download(*, merchant: Merchant) -> None:
    deadline = time.monotonic() + CLAIM_WAIT_SECONDS
    delay = 0.05
    while time.monotonic() < deadline:
        if not SyncRun.objects.filter(
            merchant=merchant, kind=RunKind.DOWNLOAD, state=RunState.RUNNING
        ).exists():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
