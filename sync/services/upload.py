"""Cart upload: post each cart listing the Quantity Available of the product it matches
(PRODUCT.md §2 "Upload").

One run per cart at a time (`run_claim`). The cart is re-read only when due
(`upload_reconcile`); between re-reads, what the cart holds is `CartListing.cart_quantity`, what
it last reported or confirmed. Only quantities that differ from it are posted, as absolute values,
in batches of the connector's maximum; a repeated post is harmless. Each batch's results are
saved as soon as the batch returns, so a run that dies half-way keeps what the cart confirmed.
Every listing write is set-based: one `UPDATE … WHERE id IN (…)` per chunk where the new values
are the same (the Last Cart Sync Date of listings verified in sync), one
`UPDATE … FROM (VALUES …)` per batch where they differ per row (`listings_rows_update`). The
listings are read as plain rows (`values_list`), not model instances.
"""

import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from carts.connectors import cart_connector_for
from carts.connectors.base import CartConnector, ItemResult, QuantityUpdate
from carts.models import Cart, CartListing, ListingStatus
from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from sync.models import (
    AlertSeverity,
    RunKind,
    RunState,
    RunTrigger,
    SyncRun,
    UploadWriteIntent,
)
from sync.services.alerts import alert_raise, alert_resolve
from sync.services.runs import RunAlreadyInProgress, run_claim, run_finish, run_log
from sync.services.upload_plan import (
    ListingDecision,
    chunked,
    listing_decide,
    upload_availability,
    upload_candidates,
    upload_rules_for,
)
from sync.services.upload_reconcile import ReadOutcome, cart_listings_reread, cart_reread_due

WRITE_CHUNK_SIZE = 500
LOGGED_EXAMPLES = 10
SKIPPED_STATUSES = (
    ListingStatus.FILTERED,
    ListingStatus.NOT_TRACKED,
    ListingStatus.NO_MATCH,
    ListingStatus.AMBIGUOUS,
)
_LISTING_FIELDS = (
    "id",
    "external_item_id",
    "sku",
    "is_inventory_enabled",
    "cart_quantity",
    "posted_quantity",
    "product_id",
    "status",
    "reason",
    "last_synced_at",
    "consecutive_failures",
)
_UNSENT_FIELDS = ("status", "product_id", "reason", "last_synced_at", "consecutive_failures")
_RESULT_FIELDS = (
    "product_id",
    "cart_quantity",
    "posted_quantity",
    "status",
    "reason",
    "last_synced_at",
    "consecutive_failures",
)
# SQLite runs `UPDATE … FROM` since 3.33.0; older ones get one `UPDATE` per group of equal values.
_SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)


@dataclass(slots=True)
class _Listing:
    """The fields of a `CartListing` the upload reads and writes, as a plain row."""

    pk: int
    external_item_id: str
    sku: str
    is_inventory_enabled: bool
    cart_quantity: int | None
    posted_quantity: int | None
    product_id: int | None
    status: str
    reason: str
    last_synced_at: datetime | None
    consecutive_failures: int

    def values(self, fields: Sequence[str]) -> tuple:
        return tuple(getattr(self, name) for name in fields)


def _ids_per_statement() -> int:
    """Ids in one `WHERE id IN (…)`: within SQLite's bound-parameter limit, large elsewhere."""
    limit = connection.features.max_query_params
    return min(10 * WRITE_CHUNK_SIZE, limit - 10) if limit else 10 * WRITE_CHUNK_SIZE


def listings_rows_update(*, fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Write per-row values to cart listings: each row is (id, *values in `fields` order).

    One `WITH v(…) AS (VALUES …) UPDATE … FROM v` per chunk (PostgreSQL; SQLite ≥ 3.33), or on an
    older SQLite one `UPDATE … WHERE id IN (…)` per group of rows with the same values.
    """
    if not rows:
        return
    if connection.vendor not in ("postgresql", "sqlite") or (
        connection.vendor == "sqlite" and not _SQLITE_UPDATE_FROM
    ):
        groups: dict[tuple, list[int]] = defaultdict(list)
        for pk, *values in rows:
            groups[tuple(values)].append(pk)
        for values, ids in groups.items():
            for chunk in chunked(ids, WRITE_CHUNK_SIZE):
                CartListing.objects.filter(pk__in=chunk).update(
                    **dict(zip(fields, values, strict=True))
                )
        return
    meta = CartListing._meta
    model_fields = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ["k", *(f"c{index}" for index in range(len(fields)))]
    if connection.vendor == "postgresql":
        # Parameters arrive as untyped literals: cast each column to the field's type.
        pk_type = meta.pk.cast_db_type(connection)
        key = f"CAST(v.k AS {pk_type})"
        sources = [
            f"CAST(v.{name} AS {f.cast_db_type(connection)})"
            for name, f in zip(names[1:], model_fields, strict=True)
        ]
    else:
        key = "v.k"
        sources = [f"v.{name}" for name in names[1:]]
    assignments = ", ".join(
        f"{quote(f.column)} = {source}" for f, source in zip(model_fields, sources, strict=True)
    )
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    max_params = connection.features.max_query_params or 10 * len(names) * WRITE_CHUNK_SIZE
    per_statement = max(1, min(WRITE_CHUNK_SIZE * 2, max_params // len(names)))
    # Names come from the model; every value is a parameter.
    statement = (
        f"WITH v ({', '.join(names)}) AS (VALUES {{values}}) "  # noqa: S608
        f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote(meta.pk.column)} = {key}"
    )
    with connection.cursor() as cursor:
        for chunk in chunked(rows, per_statement):
            params: list = []
            for pk, *values in chunk:
                params.append(pk)
                params.extend(
                    f.get_db_prep_save(value, connection)
                    for f, value in zip(model_fields, values, strict=True)
                )
            values_sql = ", ".join([row_sql] * len(chunk))
            cursor.execute(statement.format(values=values_sql), params)


def upload_alert_key(cart: Cart) -> str:
    return f"cart:{cart.pk}:upload"


def connection_alert_key(cart: Cart) -> str:
    return f"cart:{cart.pk}:connection"


def listing_failing_alert_key(listing: CartListing | _Listing) -> str:
    return f"listing:{listing.pk}:failing"


def cart_inventory_upload(
    *,
    cart: Cart,
    trigger: RunTrigger,
    run: SyncRun | None = None,
    task_id: str = "",
    reconcile: bool = False,
    connector: CartConnector | None = None,
    requested_by_id: int | None = None,
) -> SyncRun:
    """Upload the cart's quantities. Returns the finished run (or the skipped run when another
    upload of this cart holds the claim).

    Errors of the whole call: `TransientError` → the run fails saying it will be retried and the
    error is re-raised (the task retries with backoff); `PermanentError` → the run fails and an
    alert is raised; `ConfigurationError` → the run fails, an alert is raised and the cart's
    scheduling is paused until its settings change. A failing item fails only itself.
    """
    try:
        run = run_claim(
            kind=RunKind.UPLOAD,
            merchant=cart.merchant,
            cart=cart,
            trigger=trigger,
            run=run,
            task_id=task_id,
            requested_by_id=requested_by_id,
        )
    except RunAlreadyInProgress as skipped:
        return skipped.skipped_run

    try:
        if connector is None:
            connector = cart_connector_for(cart)
        state, message = _upload(cart=cart, run=run, connector=connector, reconcile=reconcile)
    except TransientError as error:
        run_log(run, f"Temporary error: {error.message}")
        run_finish(
            run=run,
            state=RunState.FAILED,
            message=f"Temporary error from the cart: {error.message}. The upload will be retried.",
        )
        raise
    except PermanentError as error:
        message = f"The cart rejected the upload: {error.message}"
        run_log(run, message)
        run_finish(run=run, state=RunState.FAILED, message=message)
        alert_raise(
            merchant=cart.merchant,
            cart=cart,
            key=upload_alert_key(cart),
            title=f"Upload to cart {cart} failed",
            message=message,
            run=run,
        )
        return run
    except ConfigurationError as error:
        message = (
            f"The cart's connection is misconfigured: {error.message}. Scheduled uploads are "
            "paused until the cart's settings change."
        )
        run_log(run, message)
        run_finish(run=run, state=RunState.FAILED, message=message)
        alert_raise(
            merchant=cart.merchant,
            cart=cart,
            key=connection_alert_key(cart),
            title=f"Cart {cart}: connection refused",
            message=message,
            run=run,
        )
        Cart.objects.filter(pk=cart.pk).update(scheduling_paused_reason=error.message)
        cart.scheduling_paused_reason = error.message
        return run
    except Exception as error:
        # Not a connector error: a bug or a lost worker. Never leave the run holding the claim.
        run_finish(run=run, state=RunState.FAILED, message=f"Internal error: {error!r}")
        raise

    _upload_succeeded(cart=cart)
    return run_finish(run=run, state=state, message=message)


@dataclass
class _Plan:
    to_send: list[tuple[_Listing, ListingDecision]] = field(default_factory=list)
    # Listings not sent whose row changes beyond the Last Cart Sync Date.
    changed: list[_Listing] = field(default_factory=list)
    # Listings verified in sync whose only change is the Last Cart Sync Date.
    verified_ids: list[int] = field(default_factory=list)
    failures_cleared: list[_Listing] = field(default_factory=list)
    in_sync: int = 0
    # Failed listings left alone: they failed `failure_alert_threshold` runs in a row.
    quarantined: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)


def _upload(
    *, cart: Cart, run: SyncRun, connector: CartConnector, reconcile: bool
) -> tuple[RunState, str]:
    cart.refresh_from_db(
        fields=[
            "last_reconciled_at",
            "reconcile_requested",
            "reconcile_interval_minutes",
            "push_alias_name",
            "sync_warehouse",
            "minimum_inventory_level",
            "item_filter_mode",
            "failure_alert_threshold",
        ]
    )
    now = timezone.now()
    read: ReadOutcome | None = None
    if cart_reread_due(cart=cart, reconcile=reconcile, now=now):
        run_log(run, "Reading the whole cart back.")
        read = cart_listings_reread(cart=cart, connector=connector, now=now)
        run.records_read = read.items_read
        _log_read(run, read)

    # A person asking (Upload now) retries the quarantined items; the scheduler does not.
    plan = _plan(cart=cart, now=now, retry_quarantined=run.trigger == RunTrigger.MANUAL)
    for note in sorted(plan.notes):
        run_log(run, note)
    _save_unsent(plan=plan, cart=cart, now=now)

    skipped = sum(plan.skipped.values()) + plan.quarantined
    run.items_skipped = skipped
    updated = 0
    failed = 0
    batch_size = max(1, connector.max_batch_size)
    batches = list(chunked(plan.to_send, batch_size))
    if batches:
        run_log(
            run,
            f"Posting {len(plan.to_send)} quantities in {len(batches)} call(s) of at most "
            f"{batch_size}.",
        )
    for batch in batches:
        updates = [
            QuantityUpdate(
                external_item_id=listing.external_item_id,
                quantity=decision.quantity,
                expected_quantity=listing.cart_quantity,
            )
            for listing, decision in batch
        ]
        results = _write(cart=cart, run=run, connector=connector, updates=updates)
        run.items_sent += len(updates)
        batch_updated, batch_failed = _apply_results(
            cart=cart, run=run, batch=batch, results=results, now=timezone.now()
        )
        updated += batch_updated
        failed += batch_failed
        run.items_failed = failed

    parts = [
        f"{run.items_sent} sent ({updated} updated, {failed} failed)",
        f"{plan.in_sync} already in sync",
        f"{skipped} skipped",
    ]
    if plan.quarantined:
        parts.append(
            f"{plan.quarantined} quarantined after failing {cart.failure_alert_threshold} runs "
            "in a row (Upload now retries them)"
        )
    if read is not None:
        parts.append(f"cart re-read: {read.items_read} items")
        if read.drift:
            parts.append(f"{len(read.drift)} edited in the cart and corrected")
    if plan.skipped:
        details = "; ".join(
            f"{ListingStatus(status).label}: {count}"
            for status, count in sorted(plan.skipped.items())
        )
        run_log(run, f"Skipped: {details}.")
    state = RunState.PARTIAL if failed else RunState.SUCCEEDED
    return state, "; ".join(parts) + "."


def _write(
    *, cart: Cart, run: SyncRun, connector: CartConnector, updates: list[QuantityUpdate]
) -> list[ItemResult]:
    """One batch to the cart. When the connector takes idempotency keys, the batch's key is
    committed before the call and reused by every retry of the same batch (a Celery retry in
    another process included): a write the cart applied but never answered is applied once. The
    key is dropped when the cart answers definitively (results, or a rejection); a transient
    error, a lost worker or a crash keeps it for the retry."""
    fingerprint = connector.write_fingerprint(updates)
    if fingerprint is None:
        return connector.set_quantities(updates)
    intent, created = UploadWriteIntent.objects.get_or_create(
        cart=cart,
        fingerprint=fingerprint,
        defaults={"idempotency_key": str(uuid.uuid4()), "run": run},
    )
    if not created:
        run_log(run, f"Resending a batch with its stored idempotency key {intent.idempotency_key}.")
    try:
        results = connector.set_quantities(updates, idempotency_key=intent.idempotency_key)
    except (PermanentError, ConfigurationError):
        intent.delete()
        raise
    intent.delete()
    return results


def write_intents_purge(*, now: datetime | None = None) -> int:
    """Delete the idempotency keys of batches not retried within `UploadWriteIntent.RETENTION`
    (the plan changed, so the batch is never sent again). Returns how many."""
    cutoff = (now or timezone.now()) - UploadWriteIntent.RETENTION
    deleted, _ = UploadWriteIntent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _log_read(run: SyncRun, read: ReadOutcome) -> None:
    run_log(
        run,
        f"Read {read.items_read} items from the cart: {read.items_new} new, "
        f"{read.items_removed} no longer in the cart.",
    )
    if read.drift:
        examples = ", ".join(
            f"{drift.sku or drift.external_item_id} {drift.known_quantity}→{drift.cart_quantity}"
            for drift in read.drift[:LOGGED_EXAMPLES]
        )
        extra = len(read.drift) - LOGGED_EXAMPLES
        more = f" and {extra} more" if extra > 0 else ""
        run_log(
            run,
            f"Drift: {len(read.drift)} item(s) edited in the cart since we last knew their "
            f"quantity ({examples}{more}); each is set back to what it should hold.",
        )


def is_quarantined(listing: CartListing | _Listing, *, cart: Cart) -> bool:
    """A listing that failed `failure_alert_threshold` uploads in a row is quarantined: scheduled
    and automatic uploads leave it alone (so one poison SKU does not fail every run) until a
    person retries it with Upload now, or the cart's settings change its decision."""
    return (
        listing.status == ListingStatus.FAILED
        and listing.consecutive_failures >= cart.failure_alert_threshold
    )


def _plan(*, cart: Cart, now: datetime, retry_quarantined: bool = True) -> _Plan:
    listings = [
        _Listing(*row)
        for row in cart.listings.exclude(status=ListingStatus.REMOVED)
        .order_by("sku", "external_item_id")
        .values_list(*_LISTING_FIELDS)
    ]
    rules = upload_rules_for(cart=cart)
    candidates = upload_candidates(cart=cart, skus=(listing.sku for listing in listings))
    availability = upload_availability(
        cart=cart,
        product_ids={candidate.product_id for group in candidates.values() for candidate in group},
    )

    plan = _Plan()
    if availability.note:
        plan.notes.add(availability.note)
    for listing in listings:
        decision = listing_decide(
            sku=listing.sku,
            is_inventory_enabled=listing.is_inventory_enabled,
            candidates=candidates.get(listing.sku, ()),
            rules=rules,
            availability=availability,
        )
        if decision.quantity is None:
            _plan_skip(plan=plan, listing=listing, decision=decision)
            continue
        if not retry_quarantined and is_quarantined(listing, cart=cart):
            plan.quarantined += 1
            continue
        if (
            listing.status == ListingStatus.FAILED
            or listing.cart_quantity is None
            or listing.cart_quantity != decision.quantity
        ):
            plan.to_send.append((listing, decision))
            continue
        plan.in_sync += 1
        status = (
            listing.status
            if listing.status in (ListingStatus.IN_SYNC, ListingStatus.UPDATED)
            else ListingStatus.IN_SYNC
        )
        if (
            status == listing.status
            and decision.product_id == listing.product_id
            and decision.reason == listing.reason
        ):
            plan.verified_ids.append(listing.pk)
            continue
        listing.status = status
        listing.product_id = decision.product_id
        listing.reason = decision.reason
        listing.last_synced_at = now
        plan.changed.append(listing)
    return plan


def _plan_skip(*, plan: _Plan, listing: _Listing, decision: ListingDecision) -> None:
    plan.skipped[decision.status] = plan.skipped.get(decision.status, 0) + 1
    # Untracked or unmatched items were not synced: Last Cart Sync Date shows NEVER. Filtered
    # items keep theirs (they were synced before the filter excluded them).
    last_synced_at = listing.last_synced_at if decision.status == ListingStatus.FILTERED else None
    if listing.consecutive_failures:
        plan.failures_cleared.append(listing)
    if (
        listing.status == decision.status
        and listing.product_id == decision.product_id
        and listing.reason == decision.reason
        and listing.last_synced_at == last_synced_at
        and not listing.consecutive_failures
    ):
        return
    listing.status = decision.status
    listing.product_id = decision.product_id
    listing.reason = decision.reason
    listing.last_synced_at = last_synced_at
    listing.consecutive_failures = 0
    plan.changed.append(listing)


def _save_unsent(*, plan: _Plan, cart: Cart, now: datetime) -> None:
    # Their only change is the same for all: one `UPDATE … WHERE id IN (…)` per chunk.
    for chunk in chunked(plan.verified_ids, _ids_per_statement()):
        CartListing.objects.filter(pk__in=chunk).update(last_synced_at=now)
    listings_rows_update(
        fields=_UNSENT_FIELDS,
        rows=[(listing.pk, *listing.values(_UNSENT_FIELDS)) for listing in plan.changed],
    )
    for listing in plan.failures_cleared:
        alert_resolve(merchant=cart.merchant, key=listing_failing_alert_key(listing))


def _apply_results(
    *,
    cart: Cart,
    run: SyncRun,
    batch: Sequence[tuple[_Listing, ListingDecision]],
    results: list[ItemResult],
    now: datetime,
) -> tuple[int, int]:
    """Record one write call's results on its listings. Returns (updated, failed)."""
    by_item = {result.external_item_id: result for result in results}
    updated = failed = 0
    recovered: list[_Listing] = []
    failing: list[_Listing] = []
    for listing, decision in batch:
        result = by_item.get(listing.external_item_id) or ItemResult(
            listing.external_item_id,
            ok=False,
            error_message="The cart returned no result for this item.",
            is_transient=True,
        )
        listing.product_id = decision.product_id
        if result.ok:
            confirmed = result.quantity if result.quantity is not None else decision.quantity
            if confirmed != listing.cart_quantity:
                run.records_changed += 1
            updated += 1
            listing.cart_quantity = confirmed
            listing.posted_quantity = decision.quantity
            listing.status = ListingStatus.UPDATED
            listing.reason = decision.reason
            listing.last_synced_at = now
            if listing.consecutive_failures:
                recovered.append(listing)
            listing.consecutive_failures = 0
            continue
        failed += 1
        if result.quantity is not None:
            # The cart told us what it really holds (a compare-and-set mismatch, for example).
            listing.cart_quantity = result.quantity
        listing.status = ListingStatus.FAILED
        listing.reason = (
            f"The cart refused {decision.quantity}: {result.error_message or 'no reason given'}. "
            "Retried on the next run."
        )
        listing.consecutive_failures += 1
        if listing.consecutive_failures >= cart.failure_alert_threshold:
            listing.reason = (
                f"Quarantined after failing {listing.consecutive_failures} runs in a row: the "
                f"cart refused {decision.quantity}: "
                f"{result.error_message or 'no reason given'}. Scheduled uploads leave it "
                "alone; Upload now retries it."
            )
            failing.append(listing)

    with transaction.atomic():
        listings_rows_update(
            fields=_RESULT_FIELDS,
            rows=[(listing.pk, *listing.values(_RESULT_FIELDS)) for listing, _ in batch],
        )
    for listing in recovered:
        alert_resolve(merchant=cart.merchant, key=listing_failing_alert_key(listing))
    for listing in failing:
        alert_raise(
            merchant=cart.merchant,
            cart=cart,
            key=listing_failing_alert_key(listing),
            title=f"SKU {listing.sku} fails to upload to cart {cart}",
            message=(
                f"Item {listing.external_item_id} (SKU {listing.sku}) failed "
                f"{listing.consecutive_failures} runs in a row: {listing.reason}"
            ),
            run=run,
            severity=AlertSeverity.WARNING,
        )
    failures = [listing for listing, _ in batch if listing.status == ListingStatus.FAILED]
    for listing in failures[:LOGGED_EXAMPLES]:
        run_log(run, f"Failed: SKU {listing.sku} [{listing.external_item_id}]: {listing.reason}")
    if len(failures) > LOGGED_EXAMPLES:
        run_log(run, f"... and {len(failures) - LOGGED_EXAMPLES} more failures in this call.")
    return updated, failed


def _upload_succeeded(*, cart: Cart) -> None:
    """The cart answered: whole-call problems it had are over."""
    alert_resolve(merchant=cart.merchant, key=upload_alert_key(cart))
    alert_resolve(merchant=cart.merchant, key=connection_alert_key(cart))
    if cart.scheduling_paused_reason:
        Cart.objects.filter(pk=cart.pk).update(scheduling_paused_reason="")
        cart.scheduling_paused_reason = ""
