"""The inventory download: read every stock record of a merchant's warehouse system and apply
them, all or nothing (PRODUCT.md §2).

1. Claim the run (one download per merchant at a time; the loser is recorded as skipped).
2. Stream the connector's records, validating each one, into the staging tables
   (`sync.services.download_staging`), outside any transaction: the stream is network I/O.
3. Refuse the download, applying nothing, when it cannot be right: a SKU reported twice for one
   warehouse, an alias code that would identify two products, a negative or absurd quantity.
4. Hold it, applying nothing, when it looks wrong: zero records, or more than the merchant's
   `suspicious_change_percent` of its products vanishing or dropping to 0 available. Running the
   download again with `accept_suspicious=True` accepts it.
5. Apply it in one transaction with set-based statements; the changed levels become history rows
   and queue the uploads of the merchant's carts on Automatic.

Errors: a `TransientError` fails the run and is re-raised (the task retries it); a
`PermanentError` fails the run and raises an alert; a `ConfigurationError` fails the run, raises
an alert and pauses the merchant's schedule until the setting changes.
"""

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from carts.models import Cart, UploadMode
from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from merchants.models import Merchant
from sync.models import AlertSeverity, RunKind, RunState, RunTrigger, SyncRun
from sync.services.alerts import alert_raise, alert_resolve
from sync.services.download_staging import (
    COPY_NULL,
    AliasRow,
    DownloadStaging,
    StockRow,
    copy_text,
    epoch_us,
)
from sync.services.runs import RunAlreadyInProgress, run_claim, run_finish, run_log
from warehouses.connectors import (
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
    warehouse_connector_for,
)
from warehouses.models import Warehouse

# More than a billion units of one product in one location is a data error, not stock (and
# the database stores 32-bit integers).
MAX_QUANTITY = 1_000_000_000
SKU_MAX_LENGTH = 255
WAREHOUSE_CODE_MAX_LENGTH = 128
ALIAS_NAME_MAX_LENGTH = 100
ALIAS_VALUE_MAX_LENGTH = 255
PRODUCT_NAME_MAX_LENGTH = 255

ALERT_FAILED = "download"
ALERT_CONFIGURATION = "download:configuration"
ALERT_SUSPICIOUS = "download:suspicious"
DOWNLOAD_ALERT_KEYS = (ALERT_FAILED, ALERT_CONFIGURATION, ALERT_SUSPICIOUS)


class DownloadRejected(PermanentError):
    """The warehouse system reported data that cannot be applied. Nothing was applied."""


@dataclass(frozen=True)
class _Suspicion:
    message: str


def inventory_download(
    *,
    merchant: Merchant,
    trigger: RunTrigger,
    run: SyncRun | None = None,
    task_id: str = "",
    accept_suspicious: bool = False,
    connector: WarehouseConnector | None = None,
    is_partial: bool = False,
    requested_by_id: int | None = None,
) -> SyncRun:
    """Download the merchant's inventory from its warehouse system and apply it, all or nothing.

    Returns the finished run: succeeded, held (a suspicious download, nothing applied), failed,
    or skipped when another download of the merchant holds the claim. Re-raises a
    `TransientError` after failing the run, so that the caller can retry. `connector=None`
    builds the merchant's connector from its connection. Safe to repeat: a second run over the
    same data changes nothing.

    `requested_by_id`: the person a new run is recorded for (a retry of a requested run).

    `is_partial=True` applies a partial update (an inventory push of some SKUs, see
    `sync.services.push`): the products it does not report are not flagged as not reported,
    and the suspicious-download hold (which counts the products that vanish) does not apply.
    """
    try:
        run = run_claim(
            kind=RunKind.DOWNLOAD,
            merchant=merchant,
            trigger=trigger,
            run=run,
            task_id=task_id,
            requested_by_id=requested_by_id,
        )
    except RunAlreadyInProgress as taken:
        return taken.skipped_run
    try:
        return _download(
            run=run,
            merchant=merchant,
            connector=connector,
            accept_suspicious=accept_suspicious,
            is_partial=is_partial,
        )
    except TransientError as error:
        run_log(run, f"Transient error: {error.message}")
        run_finish(
            run=run,
            state=RunState.FAILED,
            message=f"{error.message} This is temporary: the download will be retried.",
        )
        raise
    except ConfigurationError as error:
        return _fail_configuration(run=run, merchant=merchant, error=error)
    except PermanentError as error:
        run_log(run, f"Failed: {error.message}")
        run_finish(run=run, state=RunState.FAILED, message=error.message)
        alert_raise(
            merchant=merchant,
            key=ALERT_FAILED,
            title="The inventory download failed",
            message=error.message,
            run=run,
        )
        return run
    except BaseException as error:
        # Not a connector's verdict (a bug, a lost database, a worker shutdown): leave no run
        # stuck in "running", then let it propagate untouched.
        _finish_after_crash(run=run, error=error)
        raise


def _download(
    *,
    run: SyncRun,
    merchant: Merchant,
    connector: WarehouseConnector | None,
    accept_suspicious: bool,
    is_partial: bool = False,
) -> SyncRun:
    if connector is None:
        connector = warehouse_connector_for(merchant)
    run_log(run, f"Reading from {connector.label}.")
    infos = list(connector.warehouses())
    with DownloadStaging(merchant_id=merchant.pk, copies_current=not is_partial) as staging:
        warehouse_codes = staging.warehouse_slots
        started = time.monotonic()
        staging.load(
            _validated_rows(
                connector.stock(),
                run=run,
                slots=warehouse_codes,
                aliases=staging.pending_aliases,
                as_copy_lines=staging.loads_copy_lines,
            )
        )
        run_log(
            run,
            f"Read {run.records_read} records for {len(warehouse_codes)} warehouses"
            f" ({staging.alias_rows} alias codes) in {time.monotonic() - started:.1f} s.",
        )
        started = time.monotonic()
        _refuse_impossible(staging)
        is_checked = not (accept_suspicious or is_partial)
        suspicion = _suspicion(staging, run=run, merchant=merchant) if is_checked else None
        run_log(run, f"Checked in {time.monotonic() - started:.1f} s.")
        if suspicion is not None:
            return _hold(run=run, merchant=merchant, message=suspicion.message)
        if accept_suspicious:
            run_log(run, "Accepted as reviewed: the suspicious-download check was skipped.")
        return _apply(
            run=run,
            merchant=merchant,
            staging=staging,
            infos=infos,
            codes=warehouse_codes,
            is_partial=is_partial,
        )


def _validated_rows(
    records: Iterable[StockRecord],
    *,
    run: SyncRun,
    slots: dict[str, int],
    aliases: list[AliasRow],
    as_copy_lines: bool,
) -> Iterator[StockRow | str]:
    """Each record as a staging row, validated, with available derived when not reported:
    a `StockRow`, or with `as_copy_lines` its line of `COPY` text (the staging's format).
    Gives each new warehouse code the next slot in `slots`, and appends the records' alias
    rows to `aliases`.

    The hot loop of a download (a million records): checks and rendering are inlined in one
    loop, messages built only on failure.
    """
    count = 0
    last_time: datetime | None = None
    last_text = COPY_NULL
    slot_texts: dict[int, str] = {}
    try:
        for record in records:
            count += 1
            code = record.warehouse_code
            code = code.strip() if code else ""
            sku = record.sku
            if type(sku) is not str or not sku or sku.isspace():
                raise DownloadRejected(
                    f"Record {count} (warehouse '{code or 'Default'}') has no SKU. Nothing was "
                    "applied."
                )
            if len(sku) > SKU_MAX_LENGTH or len(code) > WAREHOUSE_CODE_MAX_LENGTH:
                raise DownloadRejected(
                    f"SKU {sku[:60]!r} or its warehouse code is too long. Nothing was applied."
                )
            on_hand = record.quantity_on_hand
            if type(on_hand) is not int or not 0 <= on_hand <= MAX_QUANTITY:
                _reject_quantity(on_hand, "on hand", sku, code)
            allocated = record.quantity_allocated
            if allocated is not None and (
                type(allocated) is not int or not 0 <= allocated <= MAX_QUANTITY
            ):
                _reject_quantity(allocated, "allocated", sku, code)
            on_hold = record.quantity_on_hold
            if on_hold is not None and (
                type(on_hold) is not int or not 0 <= on_hold <= MAX_QUANTITY
            ):
                _reject_quantity(on_hold, "on hold", sku, code)
            available = record.quantity_available
            if available is None:
                available = on_hand - (allocated or 0) - (on_hold or 0)
                if available < 0:
                    available = 0
            elif type(available) is not int or not 0 <= available <= MAX_QUANTITY:
                _reject_quantity(available, "available", sku, code)
            wms_updated_at = record.wms_updated_at
            if wms_updated_at is not None and wms_updated_at.tzinfo is None:
                raise DownloadRejected(
                    f"SKU {sku} in warehouse '{code or 'Default'}' has a timestamp without a "
                    "time zone. Nothing was applied."
                )
            slot = slots.get(code)
            if slot is None:
                slot = slots[code] = len(slots)
                slot_texts[slot] = str(slot)
            name = record.name or ""
            if len(name) > PRODUCT_NAME_MAX_LENGTH:
                name = name[:PRODUCT_NAME_MAX_LENGTH]
            if record.aliases:
                aliases.extend(
                    _alias_row(sku, alias, value) for alias, value in record.aliases if value
                )
            if not as_copy_lines:
                yield (slot, sku, name, on_hand, available, allocated, on_hold, wms_updated_at)
                continue
            # Most systems stamp a whole export with few distinct times: format each once.
            if wms_updated_at is None:
                time_text = COPY_NULL
            elif wms_updated_at is last_time:
                time_text = last_text
            else:
                last_time, last_text = wms_updated_at, str(epoch_us(wms_updated_at))
                time_text = last_text
            line = (
                f"{slot_texts[slot]}\t{sku}\t{name}\t{on_hand}\t{available}\t"
                f"{COPY_NULL if allocated is None else allocated}\t"
                f"{COPY_NULL if on_hold is None else on_hold}\t{time_text}\n"
            )
            # A tab, line break or backslash in the SKU or the name (rare) must be escaped; the
            # other fields are numbers, NULLs and a time. `isprintable()` is one fast scan that
            # is False for every control character (tab, line breaks among them).
            if (
                not sku.isprintable()
                or "\\" in sku
                or (name and (not name.isprintable() or "\\" in name))
            ):
                line = _escaped_line(line, sku, name)
            yield line
    finally:
        run.records_read = count


def _escaped_line(line: str, sku: str, name: str) -> str:
    """The COPY line with its SKU and name escaped (the other fields never need it)."""
    slot, rest = line.split("\t", 1)
    tail = rest[len(sku) + 1 + len(name) :]
    return f"{slot}\t{copy_text(sku)}\t{copy_text(name)}{tail}"


def _reject_quantity(value, label: str, sku: str, code: str) -> None:
    raise DownloadRejected(
        f"SKU {sku} in warehouse '{code or 'Default'}' reports an impossible quantity "
        f"{label} ({value!r}). Nothing was applied."
    )


def _alias_row(sku: str, name: str, value: str) -> AliasRow:
    name = (name or "").strip()
    value = value.strip()
    if not name or len(name) > ALIAS_NAME_MAX_LENGTH or len(value) > ALIAS_VALUE_MAX_LENGTH:
        raise DownloadRejected(
            f"SKU {sku} reports an invalid alias ({name[:40]!r}: {value[:40]!r}). "
            "Nothing was applied."
        )
    return (sku, name, value)


def _refuse_impossible(staging: DownloadStaging) -> None:
    duplicates = staging.duplicate_records()
    if duplicates:
        described = "; ".join(
            f"SKU {sku} in warehouse '{code or 'Default'}'" for code, sku in duplicates
        )
        raise DownloadRejected(
            f"The warehouse system reported the same SKU twice for one warehouse: {described}. "
            "Nothing was applied."
        )
    name_conflicts = staging.alias_name_conflicts()
    if name_conflicts:
        sku, name, first, second = name_conflicts[0]
        raise DownloadRejected(
            f"Product {sku} is reported with two {name} alias codes, '{first}' and '{second}'; "
            "a product has one code per alias name. Nothing was applied."
        )
    value_conflicts = staging.alias_value_conflicts()
    if value_conflicts:
        conflict = value_conflicts[0]
        if conflict.first_sku == conflict.second_sku:
            detail = (
                f"product {conflict.first_sku} under two alias names, {conflict.first_name} and "
                f"{conflict.second_name}"
            )
        else:
            detail = f"two different products, {conflict.first_sku} and {conflict.second_sku}"
        raise DownloadRejected(
            f"The alias code '{conflict.value}' would identify {detail}. An alias code must "
            "identify exactly one product. Nothing was applied."
        )


def _suspicion(staging: DownloadStaging, *, run: SyncRun, merchant: Merchant) -> _Suspicion | None:
    if run.records_read == 0:
        return _Suspicion(
            "The warehouse system reported no stock records at all. Nothing was applied; if it "
            "is right, accept the download."
        )
    counts = staging.suspicious_counts()
    if not counts.existing:
        return None
    dropped = counts.vanished + counts.dropped_to_zero
    percent = 100 * dropped / counts.existing
    run_log(
        run,
        f"Of {counts.existing} products reported before, {counts.vanished} vanished and "
        f"{counts.dropped_to_zero} dropped to 0 available ({percent:.1f}%; the limit is "
        f"{merchant.suspicious_change_percent}%).",
    )
    if percent <= merchant.suspicious_change_percent:
        return None
    return _Suspicion(
        f"{dropped} of {counts.existing} products ({percent:.0f}%) would vanish "
        f"({counts.vanished}) or drop to 0 available ({counts.dropped_to_zero}), more than the "
        f"{merchant.suspicious_change_percent}% limit. Nothing was applied; if it is right, "
        "accept the download."
    )


def _hold(*, run: SyncRun, merchant: Merchant, message: str) -> SyncRun:
    run_log(run, f"Held: {message}")
    run_finish(run=run, state=RunState.HELD, message=message)
    alert_raise(
        merchant=merchant,
        key=ALERT_SUSPICIOUS,
        title="A suspicious inventory download was held",
        message=message,
        run=run,
        severity=AlertSeverity.WARNING,
    )
    return run


def _apply(
    *,
    run: SyncRun,
    merchant: Merchant,
    staging: DownloadStaging,
    infos: list[WarehouseInfo],
    codes: dict[str, int],
    is_partial: bool = False,
) -> SyncRun:
    now = timezone.now()
    started = time.monotonic()
    names = {info.code.strip(): info.name for info in infos}
    try:
        with transaction.atomic():
            warehouse_ids, new_warehouses = _warehouses_ensure(
                merchant=merchant, codes=set(codes) | set(names), names=names
            )
            result = staging.apply(
                warehouse_ids={code: warehouse_ids[code] for code in codes},
                now=now,
                run_id=run.pk,
                mark_not_reported=not is_partial,
            )
            Warehouse.objects.filter(pk__in=warehouse_ids.values()).update(last_loaded_at=now)
            run.records_changed = result.levels_changed
            run_log(
                run,
                f"Created {len(new_warehouses)} warehouses, {result.new_products} products and "
                f"{result.new_aliases} alias codes.",
            )
            if new_warehouses:
                run_log(run, f"New warehouses: {', '.join(sorted(new_warehouses))}.")
            run_log(
                run,
                f"{result.levels_changed} levels changed (applied in "
                f"{time.monotonic() - started:.1f} s).",
            )
            if result.not_reported:
                run_log(run, f"{result.not_reported} products are no longer reported.")
            cart_ids = _automatic_uploads_queue(merchant=merchant) if result.levels_changed else []
            if cart_ids:
                run_log(run, f"Queued the Automatic uploads of {len(cart_ids)} carts.")
            run_finish(
                run=run,
                state=RunState.SUCCEEDED,
                message=(
                    f"Read {run.records_read} records; {result.levels_changed} levels changed."
                ),
            )
            for key in DOWNLOAD_ALERT_KEYS:
                alert_resolve(merchant=merchant, key=key)
    except IntegrityError as error:
        # The checks above should make this impossible; if the database still refuses, say so.
        raise DownloadRejected(
            f"The database refused the download ({error}). Nothing was applied."
        ) from error
    return run


def _warehouses_ensure(
    *, merchant: Merchant, codes: set[str], names: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    """Map each code to its warehouse, creating the new ones ('' is the Default)."""
    existing = {w.external_code: w.pk for w in Warehouse.objects.filter(merchant=merchant)}
    default_id = Warehouse.objects.get(merchant=merchant, is_default=True).pk
    new_codes = sorted(code for code in codes if code and code not in existing)
    if new_codes:
        Warehouse.objects.bulk_create(
            [
                Warehouse(
                    merchant=merchant,
                    external_code=code,
                    name=(names.get(code) or code)[:200],
                )
                for code in new_codes
            ]
        )
        existing = {w.external_code: w.pk for w in Warehouse.objects.filter(merchant=merchant)}
    ids = {code: existing[code] for code in codes if code}
    if "" in codes:
        ids[""] = default_id
    return ids, new_codes


def _automatic_uploads_queue(*, merchant: Merchant) -> list[int]:
    cart_ids = list(
        Cart.objects.filter(merchant=merchant, upload_mode=UploadMode.AUTOMATIC)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for cart_id in cart_ids:
        # Robust: a broker hiccup must not turn an applied download into a failed run; the
        # upload's own schedule catches up.
        transaction.on_commit(partial(_cart_upload_enqueue, cart_id), robust=True)
    return cart_ids


def _cart_upload_enqueue(cart_id: int) -> None:
    from sync.tasks import cart_upload_task  # the tasks import the services, not the reverse

    cart_upload_task.delay(cart_id=cart_id, trigger=RunTrigger.AUTOMATIC.value)


def _fail_configuration(*, run: SyncRun, merchant: Merchant, error: ConfigurationError) -> SyncRun:
    message = f"{error.message} Scheduled downloads are paused until the setting is changed."
    run_log(run, f"Configuration error: {error.message}")
    run_finish(run=run, state=RunState.FAILED, message=message)
    merchant.scheduling_paused_reason = error.message
    Merchant.objects.filter(pk=merchant.pk).update(scheduling_paused_reason=error.message)
    alert_raise(
        merchant=merchant,
        key=ALERT_CONFIGURATION,
        title="The warehouse system connection needs attention",
        message=message,
        run=run,
    )
    return run


def _finish_after_crash(*, run: SyncRun, error: BaseException) -> None:
    if run.state != RunState.RUNNING:
        return  # finished before the error (for example in an on-commit callback)
    run_log(run, f"Stopped by an unexpected error: {type(error).__name__}.")
    # The original error matters more than one raised while recording it.
    with contextlib.suppress(Exception):
        run_finish(
            run=run,
            state=RunState.FAILED,
            message=f"The download stopped on an unexpected error ({type(error).__name__}). "
            "Nothing was applied.",
        )
