"""Celery beat's scheduler, with a heartbeat of its own.

Beat writes its heartbeat from its own process on every tick (at most every few seconds), so the
status page can tell "beat is alive" apart from "a worker is alive": the workers record theirs by
executing `sync.tasks.heartbeat_task`, which beat sends to every queue.
"""

import logging
import time

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

BEAT_HEARTBEAT_EVERY_SECONDS = 5.0


class HeartbeatScheduler(PersistentScheduler):
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= BEAT_HEARTBEAT_EVERY_SECONDS:
            self._last_heartbeat = now
            self._record_heartbeat()
        next_tick = super().tick(*args, **kwargs)
        return min(next_tick, BEAT_HEARTBEAT_EVERY_SECONDS)

    def _record_heartbeat(self) -> None:
        from django.db import DatabaseError, close_old_connections

        from sync.services.heartbeat import heartbeat_record

        close_old_connections()
        try:
            heartbeat_record(component="beat")
        except DatabaseError:
            # The database being away must not stop beat; the stale heartbeat shows it.
            logger.exception("beat could not record its heartbeat")
