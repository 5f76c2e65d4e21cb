"""Errors every connector raises, saying whether a retry can help.

- `TransientError`: timeouts, 429, 5xx, a dropped connection. Retry with backoff; honour
  `retry_after` when the platform sent one.
- `PermanentError`: the platform rejected the data. Fail the run (or the item); do not retry.
- `ConfigurationError`: credentials rejected, a store or location that does not exist. Fail,
  raise an alert, and stop scheduling until the setting changes.
"""


class ConnectorError(Exception):
    """Base class. `message` is shown to people: it names what failed, never a secret."""

    def __init__(self, message: str, *, platform_message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.platform_message = platform_message


class TransientError(ConnectorError):
    def __init__(
        self, message: str, *, retry_after: float | None = None, platform_message: str = ""
    ) -> None:
        super().__init__(message, platform_message=platform_message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    pass


class ConfigurationError(ConnectorError):
    pass
