"""The Celery worker's consumer, surviving the loss of its Redis broker during a task.

Celery 5.7's consumer, on a broker connection error, first `collect()`s the connection (which
drops its transport's client) and then `close()`s it; with an unacknowledged message in hand (an
`acks_late` task running: ours always are), Kombu's Redis channel tries to restore that message
through the dropped client and raises `AttributeError`, which Celery treats as unrecoverable: the
worker exits instead of reconnecting (celery/celery#7185 and #9250 describe the same path). Here
that one failure of the close is logged and ignored, so the consumer goes on to reconnect. The
message is not lost by it: it stays in Redis's unacked set and is restored by the visibility
timeout (or was lost with a Redis that kept nothing, which the reaper of stuck runs covers).
"""

import functools
import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            connection.close = _tolerant_close(connection.close)
        super().on_connection_error_after_connected(exc)


def _tolerant_close(close):
    @functools.wraps(close)
    def tolerant_close(*args, **kwargs):
        try:
            return close(*args, **kwargs)
        except AttributeError:
            logger.warning(
                "could not restore unacknowledged messages while closing the lost broker "
                "connection; the broker's visibility timeout restores them",
                exc_info=True,
            )
            return None

    return tolerant_close
