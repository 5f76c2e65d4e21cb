"""The life of a SyncRun: claim, log, finish.

Claiming is atomic: the database allows one running download per merchant and one running upload
per cart (partial unique indexes on `SyncRun`), so two workers racing for the same work get one
run and one `skipped` run, whatever the timing.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from carts.models import Cart
from merchants.models import Merchant
from sync.models import RunKind, RunState, RunTrigger, SyncRun

LOG_LIMIT_CHARS = 20_000


class RunAlreadyInProgress(Exception):
    """Another run of the same work holds the claim. The skipped run is in `.skipped_run`."""

    def __init__(self, skipped_run: SyncRun) -> None:
        super().__init__(f"another {skipped_run.get_kind_display().lower()} is running")
        self.skipped_run = skipped_run


def run_claim(
    *,
    kind: RunKind,
    merchant: Merchant,
    cart: Cart | None = None,
    trigger: RunTrigger,
    run: SyncRun | None = None,
    task_id: str = "",
    requested_by_id: int | None = None,
) -> SyncRun:
    """Mark `run` (or a new run) as running. Raises `RunAlreadyInProgress` if the work is taken.

    `requested_by_id` is the person a new run is recorded for (the retry of a run someone asked
    for is still theirs)."""
    now = timezone.now()
    if run is None:
        run = SyncRun(
            kind=kind,
            merchant=merchant,
            cart=cart,
            trigger=trigger,
            requested_by_id=requested_by_id,
        )
    run.state = RunState.RUNNING
    run.started_at = now
    run.task_id = task_id or run.task_id
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        skipped = _record_skipped(run=run, now=now)
        raise RunAlreadyInProgress(skipped) from None
    return run


def _record_skipped(*, run: SyncRun, now) -> SyncRun:
    run.state = RunState.SKIPPED
    run.finished_at = now
    run.message = "Skipped: another run of the same work was in progress."
    run.save()
    return run


def run_log(run: SyncRun, line: str) -> None:
    """Append a timestamped line to the run's short log (kept in memory until `run_finish`)."""
    stamp = timezone.now().strftime("%H:%M:%S")
    if len(run.log) < LOG_LIMIT_CHARS:
        run.log += f"{stamp} {line}\n"


def run_finish(*, run: SyncRun, state: RunState, message: str = "") -> SyncRun:
    run.state = state
    run.finished_at = timezone.now()
    if message:
        run.message = message[:5000]
    run.save()
    return run
