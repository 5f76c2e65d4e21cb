"""Reads about runs, alerts and the scheduler's health."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from integration_manager.celery import QUEUES
from sync.models import Alert, Heartbeat, RunKind, RunState, SyncRun


def latest_download_run_subquery() -> Subquery:
    """The id of a merchant's latest download that was not skipped, for `.annotate()`."""
    return Subquery(
        SyncRun.objects.filter(merchant=OuterRef("pk"), kind=RunKind.DOWNLOAD)
        .exclude(state=RunState.SKIPPED)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )


def latest_upload_run_subquery() -> Subquery:
    return Subquery(
        SyncRun.objects.filter(cart=OuterRef("pk"), kind=RunKind.UPLOAD)
        .exclude(state=RunState.SKIPPED)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )


def runs_by_id(run_ids: list[int | None]) -> dict[int, SyncRun]:
    ids = [run_id for run_id in run_ids if run_id]
    return {run.pk: run for run in SyncRun.objects.filter(pk__in=ids)} if ids else {}


def attach_runs(objects: list, *, id_attribute: str, run_attribute: str) -> list:
    """Attach the runs named by an annotated id to each object, in one query for the page."""
    runs = runs_by_id([getattr(obj, id_attribute) for obj in objects])
    for obj in objects:
        setattr(obj, run_attribute, runs.get(getattr(obj, id_attribute)))
    return objects


def run_list_for(user) -> QuerySet[SyncRun]:
    return SyncRun.objects.visible_to(user).select_related("merchant", "cart")


def open_alerts_for(user) -> QuerySet[Alert]:
    return (
        Alert.objects.visible_to(user)
        .filter(resolved_at__isnull=True, dismissed_at__isnull=True)
        .select_related("merchant", "cart", "run")
    )


@dataclass(frozen=True)
class HeartbeatStatus:
    component: str
    label: str
    at: datetime | None
    is_alive: bool


def scheduler_status() -> list[HeartbeatStatus]:
    """Beat's heartbeat and each queue's worker heartbeat, each alive or not."""
    seen = {beat.component: beat.at for beat in Heartbeat.objects.all()}
    stale_before = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
    components = [("beat", "Celery beat (scheduler)")] + [
        (f"worker:{queue}", f"Worker on queue “{queue}”") for queue in QUEUES
    ]
    return [
        HeartbeatStatus(
            component=component,
            label=label,
            at=seen.get(component),
            is_alive=seen.get(component) is not None and seen[component] >= stale_before,
        )
        for component, label in components
    ]


def audit_entries_for(obj, *, limit: int = 25) -> list:
    """The latest audit entries of a merchant (its own settings and warehouses, not its carts')
    or of a cart, newest first."""
    from carts.models import Cart
    from sync.models import AuditEntry

    entries = AuditEntry.objects.select_related("actor")
    if isinstance(obj, Cart):
        entries = entries.filter(cart=obj)
    else:
        entries = entries.filter(merchant=obj, cart__isnull=True)
    return list(entries[:limit])
