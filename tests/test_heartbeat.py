"""The scheduler's heartbeat: beat records its own, each queue's worker records one per task."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integration_manager.beat import HeartbeatScheduler
from integration_manager.celery import app
from sync.models import Heartbeat
from sync.tasks import heartbeat_task

pytestmark = pytest.mark.django_db


def test_worker_heartbeat_is_recorded_per_queue():
    heartbeat_task.apply(args=("uploads",))

    assert list(Heartbeat.objects.values_list("component", flat=True)) == ["worker:uploads"]


@pytest.mark.django_db(transaction=True)
def test_beat_records_its_heartbeat_on_tick(tmp_path):
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    try:
        scheduler.tick()
    finally:
        scheduler.close()

    beat = Heartbeat.objects.get(component="beat")
    assert timezone.now() - beat.at < timedelta(seconds=10)


def test_beat_sends_a_heartbeat_to_every_queue():
    entries = {
        name: entry
        for name, entry in app.conf.beat_schedule.items()
        if name.startswith("heartbeat")
    }

    assert {entry["options"]["queue"] for entry in entries.values()} == {
        "default",
        "downloads",
        "uploads",
    }


def test_status_page_shows_alive_stale_and_never_seen(merchant_client):
    now = timezone.now()
    Heartbeat.objects.create(component="beat", at=now)
    Heartbeat.objects.create(component="worker:default", at=now - timedelta(hours=1))

    page = merchant_client.get(reverse("sync:status")).content.decode()

    rows = {
        component: page.split(f'data-component="{component}"')[1].split("</tr>")[0]
        for component in ("beat", "worker:default", "worker:uploads")
    }
    assert "Alive" in rows["beat"]
    assert "Stale" in rows["worker:default"]
    assert "Never seen" in rows["worker:uploads"]
