"""The Celery application: a worker consumes the `default`, `downloads` and `uploads` queues and
beat runs the fixed entries below. Per-merchant and per-cart schedules live in our own tables;
beat only runs the dispatchers that read them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

app = Celery("integration_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

QUEUES = ("default", "downloads", "uploads")

# How often beat sends each queue's worker a heartbeat task (read here, before Django's settings
# exist, because this module is imported while they load).
HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_INTERVAL_SECONDS", "30"))

app.conf.beat_schedule = {
    # One heartbeat per queue, so the status page shows that each queue has a live worker.
    **{
        f"heartbeat-{queue}": {
            "task": "sync.tasks.heartbeat_task",
            "schedule": HEARTBEAT_SECONDS,
            "args": (queue,),
            "options": {"queue": queue, "expires": HEARTBEAT_SECONDS * 2},
        }
        for queue in QUEUES
    },
}
