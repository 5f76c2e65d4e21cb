"""Celery tasks: load by id, call one service, decide on retry. No business rules here.

`acks_late` is on for every task (settings), so a message can be delivered again after a worker
is lost: each task is safe to run twice. A task sent for a queued run does nothing once that run
has left the queue, and the services themselves are idempotent (downloads upsert, uploads post
absolute quantities) and claim their run atomically.

Only `TransientError` is retried, with full-jitter exponential backoff honouring Retry-After and
at most `MAX_RETRIES` times; every retry is a fresh run of the service, which claims a new run.
Permanent and configuration errors are handled by the services (run failed, alert, pause) and
never reach here. Anything else is a bug: it fails the task and is logged, never retried.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection

from carts.models import Cart
from integration_manager.connector_errors import TransientError
from merchants.models import Merchant
from sync.models import RunState, RunTrigger, SyncRun
from sync.services.heartbeat import heartbeat_record
from sync.services.scheduling import (
    MAX_RETRIES,
    due_downloads_dispatch,
    due_uploads_dispatch,
    lost_database_run_fail,
    lost_run_requeue,
    queued_run_for_task,
    retry_countdown,
    run_of_task,
    run_retries_exhausted,
    run_retry_note,
    stuck_runs_reap,
)

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def heartbeat_task(queue: str) -> None:
    heartbeat_record(component=f"worker:{queue}")


@shared_task(bind=True, ignore_result=True, max_retries=MAX_RETRIES)
def inventory_download_task(
    self,
    merchant_id: int,
    trigger: str,
    run_id: int | None = None,
    accept_suspicious: bool = False,
    csv_upload: str = "",
    requested_by_id: int | None = None,
) -> int | None:
    """Run a merchant's inventory download. Returns the id of the run it recorded. With
    `csv_upload`, read that uploaded CSV file (see `download_request`) instead of the
    merchant's connection."""
    # Imported here: the download service imports this module to enqueue uploads.
    from sync.services.download import inventory_download
    from warehouses.connectors.csv_feed import csv_upload_connector

    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        logger.info("download of merchant %s not run: the merchant was deleted", merchant_id)
        return None
    run = _run_of_delivery(run_id, task_id=self.request.id or "")
    if run_id is not None and run is None:
        return None
    retry_kwargs = {
        "merchant_id": merchant_id,
        "trigger": trigger,
        "run_id": None,
        "accept_suspicious": accept_suspicious,
    }
    if csv_upload:
        retry_kwargs["csv_upload"] = csv_upload
    requested_by_id = _requested_by(run, requested_by_id, retry_kwargs=retry_kwargs)
    connector = (
        csv_upload_connector(merchant_id=merchant_id, file_name=csv_upload) if csv_upload else None
    )
    try:
        run = inventory_download(
            merchant=merchant,
            trigger=RunTrigger(trigger),
            run=run,
            task_id=self.request.id or "",
            accept_suspicious=accept_suspicious,
            connector=connector,
            requested_by_id=requested_by_id,
        )
    except DATABASE_CONNECTION_ERRORS as error:
        _retry_after_database_loss(self, error, retry_kwargs=retry_kwargs)
    except TransientError as error:
        _retry_or_give_up(
            self,
            error,
            merchant=merchant,
            run=run or run_of_task(task_id=self.request.id or ""),
            retry_kwargs=retry_kwargs,
        )
        return None
    if run.state == RunState.SKIPPED and csv_upload and self.request.retries < MAX_RETRIES:
        # Another download of the merchant was running: the uploaded file must still be read.
        raise self.retry(
            args=(), kwargs=retry_kwargs, countdown=retry_countdown(retries=self.request.retries)
        )
    return run.pk


@shared_task(bind=True, ignore_result=True, max_retries=MAX_RETRIES)
def cart_upload_task(
    self,
    cart_id: int,
    trigger: str,
    run_id: int | None = None,
    reconcile: bool = False,
    requested_by_id: int | None = None,
) -> int | None:
    """Upload the inventory of a cart. Returns the id of the run it recorded."""
    # Imported here, like the download service.
    from sync.services.upload import cart_inventory_upload

    cart = Cart.objects.select_related("merchant").filter(pk=cart_id).first()
    if cart is None:
        logger.info("upload of cart %s not run: the cart was deleted", cart_id)
        return None
    run = _run_of_delivery(run_id, task_id=self.request.id or "")
    if run_id is not None and run is None:
        return None
    retry_kwargs = {"cart_id": cart_id, "trigger": trigger, "run_id": None, "reconcile": reconcile}
    requested_by_id = _requested_by(run, requested_by_id, retry_kwargs=retry_kwargs)
    try:
        run = cart_inventory_upload(
            cart=cart,
            trigger=RunTrigger(trigger),
            run=run,
            task_id=self.request.id or "",
            reconcile=reconcile,
            requested_by_id=requested_by_id,
        )
    except DATABASE_CONNECTION_ERRORS as error:
        _retry_after_database_loss(self, error, retry_kwargs=retry_kwargs)
    except TransientError as error:
        _retry_or_give_up(
            self,
            error,
            merchant=cart.merchant,
            cart=cart,
            run=run or run_of_task(task_id=self.request.id or ""),
            retry_kwargs=retry_kwargs,
        )
        return None
    if (
        run.state == RunState.SKIPPED
        and trigger == RunTrigger.AUTOMATIC
        and self.request.retries < MAX_RETRIES
    ):
        # New warehouse data arrived while another upload of this cart was running; that upload
        # may have read the levels before the change, so this one must still happen once the
        # other is done, or the change would wait for the next one.
        raise self.retry(
            args=(), kwargs=retry_kwargs, countdown=retry_countdown(retries=self.request.retries)
        )
    return run.pk


@shared_task(ignore_result=True)
def dispatch_due_downloads() -> list[int]:
    return due_downloads_dispatch()


@shared_task(ignore_result=True)
def dispatch_due_uploads() -> list[int]:
    return due_uploads_dispatch()


@shared_task(ignore_result=True)
def reap_stuck_runs() -> list[int]:
    """Fail the stuck runs; also purge the idempotency keys of cart writes never retried."""
    from sync.services.upload import write_intents_purge  # imported here, like the upload

    write_intents_purge()
    return stuck_runs_reap()


def _requested_by(
    run: SyncRun | None, requested_by_id: int | None, *, retry_kwargs: dict
) -> int | None:
    """The person this delivery's run is for (its queued run's, else the one a retry carries),
    passed on to the retry's arguments: a retry of a run someone asked for is still theirs."""
    if run is not None:
        requested_by_id = run.requested_by_id
    if requested_by_id is not None:
        retry_kwargs["requested_by_id"] = requested_by_id
    return requested_by_id


def _run_of_delivery(run_id: int | None, *, task_id: str) -> SyncRun | None:
    """The run this delivery works on: the run its worker left running when it was lost (this
    is the same message delivered again), else the queued run it was sent for."""
    lost = lost_run_requeue(task_id=task_id)
    if lost is not None and run_id in (None, lost.pk):
        return lost
    return _queued_run(run_id)


def _queued_run(run_id: int | None) -> SyncRun | None:
    if run_id is None:
        return None
    run = queued_run_for_task(run_id=run_id)
    if run is None:
        logger.info("run %s is no longer queued: this delivery does nothing", run_id)
    return run


# The database connection was lost (a dropped connection, a restart, a failover): transient.
DATABASE_CONNECTION_ERRORS = (OperationalError, InterfaceError)


def _retry_after_database_loss(task, error: Exception, *, retry_kwargs: dict) -> None:
    """The database went away mid-run, so the service could not record the run's end: open a
    fresh connection, fail the run left running (it would hold the claim until the reaper), and
    retry with backoff; the services are idempotent. Raises celery's `Retry`, or the error
    once the retries are spent."""
    connection.close()
    logger.warning("task %s lost its database connection: %s", task.request.id, error)
    try:
        lost_database_run_fail(task_id=task.request.id or "")
    except DATABASE_CONNECTION_ERRORS:
        logger.warning("the database is still away; the reaper will fail the run")
        connection.close()
    retries = task.request.retries
    if retries >= MAX_RETRIES:
        raise error
    raise task.retry(
        args=(), kwargs=retry_kwargs, exc=error, countdown=retry_countdown(retries=retries)
    )


def _retry_or_give_up(
    task,
    error: TransientError,
    *,
    merchant: Merchant,
    run: SyncRun | None,
    retry_kwargs: dict,
    cart: Cart | None = None,
) -> None:
    """Retry with backoff while retries remain (raises celery's `Retry`); after the last one,
    leave the run failed and raise an alert."""
    retries = task.request.retries
    if retries >= MAX_RETRIES:
        run_retries_exhausted(
            error=error, attempts=retries + 1, merchant=merchant, cart=cart, run=run
        )
        return
    countdown = retry_countdown(retries=retries, retry_after=error.retry_after)
    run_retry_note(run=run, retry_number=retries + 1, countdown=countdown)
    raise task.retry(args=(), kwargs=retry_kwargs, exc=error, countdown=countdown)
