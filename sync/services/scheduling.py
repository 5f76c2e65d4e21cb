"""Scheduling: what is due and enqueuing it exactly once, the reaper of stuck runs, the retry
policy of the sync tasks, and the "Run inventory now" / "Upload now" requests.

Per-merchant and per-cart schedules live in our tables (`Merchant.next_download_at`,
`Cart.next_upload_at`); beat only runs the dispatchers below every few seconds. A dispatcher
takes each due row with one conditional UPDATE that also moves its next time forward, and
enqueues the task only when that UPDATE changed the row: two dispatchers running at once (two
beats, a redelivered message) never enqueue the same work twice, because the second UPDATE no
longer matches. Tasks are enqueued on commit, so a worker never sees a row that is not there yet.
"""

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carts.models import Cart, UploadMode
from integration_manager.connector_errors import TransientError
from merchants.models import InventorySyncMode, Merchant
from sync.models import AlertSeverity, RunKind, RunState, RunTrigger, SyncRun
from sync.services.alerts import alert_raise
from sync.services.runs import run_log

logger = logging.getLogger(__name__)

# Retries of a transient failure: exponential backoff with full jitter (a random delay between 0
# and min(cap, base * 2**n)), so that many runs failing together do not retry together.
RETRY_BASE_SECONDS = 10.0
RETRY_CAP_SECONDS = 600.0
MAX_RETRIES = 5
# A platform's Retry-After is honoured when it asks for longer than the backoff, up to this: a
# countdown is held by the broker, and on Redis a message held longer than the visibility timeout
# (3600 s) would be delivered twice.
RETRY_AFTER_MAX_SECONDS = 1800.0

DOWNLOAD_ALERT_KEY = "download"


def upload_alert_key(cart: Cart) -> str:
    return f"cart:{cart.pk}:upload"


# --- Dispatchers ----------------------------------------------------------------------------


def _is_due(next_at: datetime | None, *, now: datetime, interval: timedelta) -> bool:
    """Due when never scheduled, when its time has come, or when the time is further away than
    the interval allows (the interval was shortened or the mode changed since it was set)."""
    return next_at is None or next_at <= now or next_at > now + interval


def due_downloads_dispatch(*, now: datetime | None = None) -> list[int]:
    """Enqueue the download of every merchant on Scheduled whose time has come, and move its
    next download one interval on. Merchants on Off or Automatic (the warehouse system pushes to
    us) are never polled; a merchant whose scheduling is paused waits for its settings to change.

    Returns the ids of the merchants whose download was enqueued.
    """
    now = now or timezone.now()
    candidates = Merchant.objects.filter(
        inventory_sync_mode=InventorySyncMode.SCHEDULED, scheduling_paused_reason=""
    ).values_list("pk", "next_download_at", "inventory_interval_minutes")
    enqueued = []
    for merchant_id, next_at, interval_minutes in candidates:
        interval = timedelta(minutes=interval_minutes)
        if not _is_due(next_at, now=now, interval=interval):
            continue
        with transaction.atomic():
            taken = (
                Merchant.objects.filter(
                    pk=merchant_id,
                    inventory_sync_mode=InventorySyncMode.SCHEDULED,
                    scheduling_paused_reason="",
                    **_unchanged("next_download_at", next_at),
                ).update(next_download_at=now + interval)
                == 1
            )
            if taken:
                # Robust: a broker error is logged and the other due merchants still go; this
                # one waits for its next interval.
                transaction.on_commit(_download_enqueuer(merchant_id=merchant_id), robust=True)
                enqueued.append(merchant_id)
    if enqueued:
        logger.info("dispatched downloads of merchants %s", enqueued)
    return enqueued


def due_uploads_dispatch(*, now: datetime | None = None) -> list[int]:
    """Enqueue the uploads that are due and move each cart's next time on.

    - Carts on Scheduled: every `upload_interval_minutes`. The upload re-reads the cart when its
      reconciliation is due (`reconcile_interval_minutes` since `last_reconciled_at`).
    - Carts on Automatic are uploaded by the download that changed something; here they only get
      their periodic re-read, an upload with `reconcile=True` every `reconcile_interval_minutes`.
    - Carts on Off, and carts whose scheduling is paused, are left alone.

    Returns the ids of the carts whose upload was enqueued.
    """
    now = now or timezone.now()
    candidates = Cart.objects.filter(
        upload_mode__in=[UploadMode.SCHEDULED, UploadMode.AUTOMATIC], scheduling_paused_reason=""
    ).values_list(
        "pk",
        "upload_mode",
        "next_upload_at",
        "upload_interval_minutes",
        "reconcile_interval_minutes",
        "last_reconciled_at",
    )
    enqueued = []
    for cart_id, mode, next_at, upload_minutes, reconcile_minutes, reconciled_at in candidates:
        reconcile_interval = timedelta(minutes=reconcile_minutes)
        is_reconcile_due = reconciled_at is None or reconciled_at <= now - reconcile_interval
        if mode == UploadMode.SCHEDULED:
            interval = timedelta(minutes=upload_minutes)
            reconcile = is_reconcile_due
        else:
            if not is_reconcile_due:
                continue
            interval = reconcile_interval
            reconcile = True
        if not _is_due(next_at, now=now, interval=interval):
            continue
        with transaction.atomic():
            taken = (
                Cart.objects.filter(
                    pk=cart_id,
                    upload_mode=mode,
                    scheduling_paused_reason="",
                    **_unchanged("next_upload_at", next_at),
                ).update(next_upload_at=now + interval)
                == 1
            )
            if taken:
                transaction.on_commit(
                    _upload_enqueuer(
                        cart_id=cart_id, trigger=RunTrigger.SCHEDULE, reconcile=reconcile
                    ),
                    robust=True,
                )
                enqueued.append(cart_id)
    if enqueued:
        logger.info("dispatched uploads of carts %s", enqueued)
    return enqueued


def _unchanged(field: str, value: datetime | None) -> dict:
    """The compare-and-set condition: the row still holds what the dispatcher read."""
    return {f"{field}__isnull": True} if value is None else {field: value}


def _download_enqueuer(*, merchant_id: int, trigger: RunTrigger = RunTrigger.SCHEDULE, **extra):
    def enqueue() -> None:
        from sync.tasks import inventory_download_task

        inventory_download_task.delay(merchant_id=merchant_id, trigger=trigger.value, **extra)

    return enqueue


def _upload_enqueuer(*, cart_id: int, trigger: RunTrigger, **extra):
    def enqueue() -> None:
        from sync.tasks import cart_upload_task

        cart_upload_task.delay(cart_id=cart_id, trigger=trigger.value, **extra)

    return enqueue


# --- Reaper ---------------------------------------------------------------------------------


def stuck_run_timeout() -> timedelta:
    """A run still running after this long lost its worker: the hard time limit would have
    ended it otherwise."""
    return timedelta(seconds=settings.SYNC_RUN_STUCK_SECONDS)


def stuck_runs_reap(*, now: datetime | None = None, timeout: timedelta | None = None) -> list[int]:
    """Fail the runs that are stuck: running for longer than the timeout (their worker died or
    was cut off from the database), or queued for longer than that (their message was lost).

    Each run is failed by a conditional UPDATE, so a run that finishes meanwhile keeps its own
    result. A stuck running run also raises an alert. Returns the ids of the failed runs.
    """
    now = now or timezone.now()
    timeout = timeout or stuck_run_timeout()
    cutoff = now - timeout
    minutes = int(timeout.total_seconds() // 60)
    reaped = []
    stuck_running = SyncRun.objects.filter(
        state=RunState.RUNNING, started_at__lt=cutoff
    ).select_related("merchant", "cart")
    for run in stuck_running:
        message = (
            f"Stopped by the scheduler: still running after {minutes} minutes, so its worker "
            "was lost. The next run starts afresh."
        )
        if SyncRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
            state=RunState.FAILED, finished_at=now, message=message
        ):
            reaped.append(run.pk)
            alert_raise(
                merchant=run.merchant,
                cart=run.cart,
                key=_alert_key(run),
                title=f"{run.get_kind_display()} stopped: its worker was lost",
                message=message,
                run=run,
            )
    stuck_queued = list(
        SyncRun.objects.filter(state=RunState.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    if stuck_queued:
        SyncRun.objects.filter(pk__in=stuck_queued, state=RunState.QUEUED).update(
            state=RunState.FAILED,
            finished_at=now,
            message=f"Never started: still queued after {minutes} minutes (no worker took it).",
        )
        reaped.extend(stuck_queued)
    if reaped:
        logger.warning("reaped stuck runs %s", reaped)
    return reaped


def _alert_key(run: SyncRun) -> str:
    return DOWNLOAD_ALERT_KEY if run.kind == RunKind.DOWNLOAD else upload_alert_key(run.cart)


# --- Retry policy of the tasks --------------------------------------------------------------


def retry_countdown(
    *, retries: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number `retries + 1`: full-jitter exponential backoff,
    or the platform's Retry-After when it asks for longer (bounded by RETRY_AFTER_MAX_SECONDS)."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**retries)
    countdown = (rng or random).uniform(0, ceiling)
    if retry_after is not None and retry_after > countdown:
        countdown = min(float(retry_after), RETRY_AFTER_MAX_SECONDS)
    return round(countdown, 3)


def queued_run_for_task(*, run_id: int) -> SyncRun | None:
    """The queued run a task was sent for. None when it is no longer queued: the message was
    delivered again after the run started or finished, or the reaper failed it. The task then
    does nothing, which makes a repeated delivery harmless."""
    return SyncRun.objects.filter(pk=run_id, state=RunState.QUEUED).first()


def lost_run_requeue(*, task_id: str) -> SyncRun | None:
    """The run a task left running when its worker was lost (killed mid-run), put back in the
    queue so that the same message, delivered again (`acks_late`, `reject_on_worker_lost`),
    takes it over and completes it. None when the task has no such run.

    A run still running under this delivery's task id can only be such a run: a message is
    never delivered again while its task still runs (the hard time limit is well below the
    broker's visibility timeout), and a retry is sent only after its attempt's run finished.
    """
    if not task_id:
        return None
    run = SyncRun.objects.filter(task_id=task_id, state=RunState.RUNNING).order_by("-id").first()
    if run is None:
        return None
    note = "Its worker was lost mid-run; the task was delivered again and takes it over."
    if not SyncRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
        state=RunState.QUEUED, message=note
    ):
        return None
    logger.warning("run %s: worker lost mid-run, taken over by the redelivered task", run.pk)
    run.refresh_from_db()
    run_log(run, note)
    return run


def lost_database_run_fail(*, task_id: str) -> list[int]:
    """Fail the runs a task left running when its database connection was lost mid-run (the
    service could not record its own failure), so they do not hold the claim until the reaper
    comes. Called on a fresh connection; returns the ids of the runs failed."""
    if not task_id:
        return []
    runs = list(
        SyncRun.objects.filter(task_id=task_id, state=RunState.RUNNING).values_list("pk", flat=True)
    )
    SyncRun.objects.filter(pk__in=runs, state=RunState.RUNNING).update(
        state=RunState.FAILED,
        finished_at=timezone.now(),
        message="The database connection was lost mid-run. The task is retried.",
    )
    return runs


def run_of_task(*, task_id: str) -> SyncRun | None:
    """The latest run a task created (the services record the task id on the run they claim)."""
    if not task_id:
        return None
    return SyncRun.objects.filter(task_id=task_id).order_by("-id").first()


def run_retry_note(*, run: SyncRun | None, retry_number: int, countdown: float) -> None:
    """Say on the failed attempt's run that the work is tried again, and when."""
    if run is None:
        return
    note = f"Retry {retry_number} of {MAX_RETRIES} in {countdown:.0f} s."
    run_log(run, note)
    message = run.message or "Failed."
    run.message = f"{message} {note}"[:5000]
    run.save(update_fields=["message", "log"])


def run_retries_exhausted(
    *,
    error: TransientError,
    attempts: int,
    merchant: Merchant,
    cart: Cart | None = None,
    run: SyncRun | None = None,
) -> None:
    """The last retry failed too: the run stays failed, saying so, and an alert is raised."""
    message = f"{error.message} Gave up after {attempts} attempts."
    if run is not None:
        run_log(run, message)
        run.state = RunState.FAILED
        run.finished_at = run.finished_at or timezone.now()
        run.message = message[:5000]
        run.save(update_fields=["state", "finished_at", "message", "log"])
    what = f"Upload to {cart}" if cart is not None else "Inventory download"
    alert_raise(
        merchant=merchant,
        cart=cart,
        key=upload_alert_key(cart) if cart is not None else DOWNLOAD_ALERT_KEY,
        title=f"{what} failed {attempts} times in a row",
        message=message,
        run=run,
        severity=AlertSeverity.ERROR,
    )


# --- Run now ---------------------------------------------------------------------------------


def download_request(*, merchant: Merchant, user=None, csv_upload: str = "") -> SyncRun:
    """ "Run inventory now": a queued download run, whose task is enqueued on commit.

    Works in every mode (a person may check a merchant that is Off or paused). Asking again while
    a requested download is still queued returns that run instead of queueing a second one.
    With `csv_upload` (the name of a file stored by `csv_upload_save`), the run reads that
    uploaded CSV file instead of the merchant's connection, and always gets a run of its own.
    """
    with transaction.atomic():
        queued = SyncRun.objects.filter(
            merchant=merchant,
            kind=RunKind.DOWNLOAD,
            trigger=RunTrigger.MANUAL,
            state=RunState.QUEUED,
        ).first()
        if queued is not None and not csv_upload:
            return queued
        run = SyncRun.objects.create(
            kind=RunKind.DOWNLOAD,
            merchant=merchant,
            trigger=RunTrigger.MANUAL,
            state=RunState.QUEUED,
            requested_by=_person(user),
        )
        extra = {"csv_upload": csv_upload} if csv_upload else {}
        transaction.on_commit(
            _download_enqueuer(
                merchant_id=merchant.pk, trigger=RunTrigger.MANUAL, run_id=run.pk, **extra
            )
        )
    return run


def upload_request(*, cart: Cart, user=None, reconcile: bool = False) -> SyncRun:
    """ "Upload now" (with `reconcile`, also re-read the whole cart): a queued upload run, whose
    task is enqueued on commit. Asking again while a requested upload of the cart is still
    queued returns that run."""
    with transaction.atomic():
        queued = SyncRun.objects.filter(
            cart=cart, kind=RunKind.UPLOAD, trigger=RunTrigger.MANUAL, state=RunState.QUEUED
        ).first()
        if queued is not None and not reconcile:
            return queued
        run = SyncRun.objects.create(
            kind=RunKind.UPLOAD,
            merchant_id=cart.merchant_id,
            cart=cart,
            trigger=RunTrigger.MANUAL,
            state=RunState.QUEUED,
            requested_by=_person(user),
        )
        transaction.on_commit(
            _upload_enqueuer(
                cart_id=cart.pk, trigger=RunTrigger.MANUAL, run_id=run.pk, reconcile=reconcile
            )
        )
    return run


def _person(user):
    return user if user is not None and user.is_authenticated else None
