"""The scheduler's heartbeats: beat records one from its own process, each queue's worker one by
executing `heartbeat_task`."""

from django.utils import timezone

from sync.models import Heartbeat


def heartbeat_record(*, component: str) -> None:
    Heartbeat.objects.update_or_create(component=component, defaults={"at": timezone.now()})
