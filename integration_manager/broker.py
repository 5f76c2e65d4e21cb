"""The embedded broker: Kombu's filesystem transport, with messages written atomically.

Kombu writes a message straight into the queue folder, so a worker polling that folder can take
the file while it is still empty and fail to decode it. Here a message is written under a name
no queue matches, then renamed into place: a reader sees a whole message or none.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final_path = os.path.join(self.data_folder_out, name)
        # A leading "~" and no ".msg" ending: no queue's listing picks it up half-written.
        partial_path = os.path.join(self.data_folder_out, f"~{uuid.uuid4()}.partial")
        try:
            with open(partial_path, "wb") as partial:
                partial.write(str_to_bytes(dumps(payload)))
            os.replace(partial_path, final_path)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final_path!r} to directory") from error


class FilesystemTransport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """Make `embedded-fs://` name this transport (the URL the settings use without Redis)."""
    TRANSPORT_ALIASES.setdefault("embedded-fs", "integration_manager.broker:FilesystemTransport")
