"""The Celery application: a worker consumes the `default`, `downloads` and `uploads` queues and
beat runs the fixed entries below. Per-merchant and per-cart schedules live in our own tables;
beat only runs the dispatchers that read them."""

import os

from celery import Celery

from integration_manager.broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

register_embedded_broker()

app = Celery("integration_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

QUEUES = ("default", "downloads", "uploads")

# How often beat sends each queue's worker a heartbeat task (read here, before Django's settings
# exist, because this module is imported while they load).
HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_INTERVAL_SECONDS", "30"))
# How often the dispatchers look for due downloads and uploads (the per-merchant and per-cart
# intervals are minutes; this only bounds how late after its time a run starts), and how often
# the reaper looks for stuck runs.
DISPATCH_SECONDS = float(os.environ.get("DISPATCH_INTERVAL_SECONDS", "15"))
REAP_SECONDS = float(os.environ.get("REAP_INTERVAL_SECONDS", "60"))

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
    # The dispatchers and the reaper run on the default queue. A message that waited longer than
    # two intervals is dropped (the next one does the same work), so no backlog builds up while
    # the workers are down.
    "dispatch-due-downloads": {
        "task": "sync.tasks.dispatch_due_downloads",
        "schedule": DISPATCH_SECONDS,
        "options": {"queue": "default", "expires": DISPATCH_SECONDS * 2},
    },
    "dispatch-due-uploads": {
        "task": "sync.tasks.dispatch_due_uploads",
        "schedule": DISPATCH_SECONDS,
        "options": {"queue": "default", "expires": DISPATCH_SECONDS * 2},
    },
    "reap-stuck-runs": {
        "task": "sync.tasks.reap_stuck_runs",
        "schedule": REAP_SECONDS,
        "options": {"queue": "default", "expires": REAP_SECONDS * 2},
    },
}
