"""The one HTTP client every connector uses.

What it guarantees, whatever the platform:

- Explicit (connect, read) timeouts on every request.
- The status is checked before the body is used. 401/403 → `ConfigurationError`; other 4xx →
  `PermanentError`; 429, 5xx, timeouts and dropped connections → `TransientError`. Every error
  carries the platform's own message (parsed from a JSON body when there is one) and names the
  platform, method, path and status; it never carries a secret.
- Retries in-process only where safe: idempotent calls (GET/HEAD/PUT/DELETE/OPTIONS, or any call
  made with `idempotent=True`, e.g. a mutation carrying an idempotency key) are retried up to
  `max_attempts` with exponential backoff + jitter, honouring `Retry-After` (seconds or an HTTP
  date) when it is at most `max_retry_after`. A longer `Retry-After`, or a non-idempotent call,
  is not retried here: `TransientError(retry_after=...)` goes up so the task layer retries later.
- One INFO log line per request: platform, method, path (query values of secret-looking names
  masked), status, duration in ms and the platform's request id header. Secrets (the `secrets`
  given, the values of auth headers, the password of a basic-auth pair) are masked everywhere.
- The `requests.Response` is returned as is, so callers read rate-limit headers from it;
  `rate_limit_headers(response)` picks them out.

Errors raised here carry two extra attributes: `status_code` (None when no response) and
`request_id` (the platform's, or "").
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from urllib3.exceptions import ProtocolError

from integration_manager.connector_errors import (
    ConfigurationError,
    ConnectorError,
    PermanentError,
    TransientError,
)

logger = logging.getLogger("integration_manager.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
SECRET_HEADER_NAMES = frozenset({"authorization", "x-shopify-access-token", "x-auth-token"})
REQUEST_ID_HEADERS = (
    "X-Request-Id",
    "X-Shopify-Request-Id",
    "X-Amzn-RequestId",
    "X-Amz-Request-Id",
    "Request-Id",
    "X-Correlation-Id",
    "CF-Ray",
)
# Query parameter names whose values are never logged.
SECRET_QUERY_NAME = re.compile(
    r"(key|secret|token|password|passwd|signature|sig|auth|code|credential)", re.IGNORECASE
)
RATE_LIMIT_HEADER = re.compile(r"(rate-?limit|call-limit|retry-after)", re.IGNORECASE)
MASK = "***"
MAX_MESSAGE_LENGTH = 500


def response_json(response: requests.Response) -> Any:
    """The response body parsed as JSON.

    A body that is not JSON is a `PermanentError` (the platform answered something we cannot
    read); a body shorter than its Content-Length (a dropped connection) is a `TransientError`.
    """
    platform = getattr(response, "platform", "") or "the platform"
    where = _describe(response)
    declared_length = response.headers.get("Content-Length")
    is_encoded = bool(response.headers.get("Content-Encoding"))
    is_short = (
        declared_length is not None
        and declared_length.isdigit()
        and not is_encoded
        and len(response.content) < int(declared_length)
    )
    if is_short:
        raise _with_context(
            TransientError(f"{platform} {where}: the response was cut short."), response
        )
    try:
        return response.json()
    except (ValueError, requests.exceptions.JSONDecodeError):
        snippet = _mask(response.text[:200], getattr(response, "secret_values", ()))
        raise _with_context(
            PermanentError(
                f"{platform} {where}: the response is not valid JSON.",
                platform_message=snippet,
            ),
            response,
        ) from None


def rate_limit_headers(response: requests.Response) -> dict[str, str]:
    """The rate-limit headers of a response (Retry-After, X-Rate-Limit-*, X-Shopify-Shop-Api-
    Call-Limit, ...), by their names as sent."""
    return {
        name: value for name, value in response.headers.items() if RATE_LIMIT_HEADER.search(name)
    }


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (it may be a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _rate_limit_reset(response: requests.Response) -> float | None:
    """Seconds until the quota refreshes, from a platform's own header when it sends no
    Retry-After (BigCommerce: `X-Rate-Limit-Time-Reset-Ms`)."""
    value = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
    try:
        return max(0.0, float(value) / 1000) if value else None
    except ValueError:
        return None


def client_options(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """HttpClient tuning read from a connection's parameters, when present: `connect_timeout`,
    `read_timeout` (seconds), `max_attempts`, `backoff_base` (seconds), `max_retry_after`
    (seconds). Tests and the demo use them for tiny backoffs; production leaves the defaults."""
    options: dict[str, Any] = {}
    if "connect_timeout" in parameters or "read_timeout" in parameters:
        options["timeout"] = (
            float(parameters.get("connect_timeout", 5.0)),
            float(parameters.get("read_timeout", 30.0)),
        )
    if "max_attempts" in parameters:
        options["max_attempts"] = int(parameters["max_attempts"])
    for name in ("backoff_base", "max_retry_after"):
        if name in parameters:
            options[name] = float(parameters[name])
    return options


def platform_message_from(response: requests.Response) -> str:
    """The platform's own error message: from the usual JSON error shapes, else the body text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:MAX_MESSAGE_LENGTH]
    message = _message_from_body(body)
    return (message or response.text.strip())[:MAX_MESSAGE_LENGTH]


def _message_from_body(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(filter(None, (_message_from_body(entry) for entry in body)))
    if not isinstance(body, dict):
        return ""
    # Woo {"code","message"}, 3PL {"Message"}, OAuth {"error_description"}, BigCommerce
    # {"title","errors":{field: text}}, Shopify {"errors": "..."} or {"errors": [{"message"}]}.
    for name in ("message", "Message", "error_description", "title", "detail", "ErrorMessage"):
        value = body.get(name)
        if isinstance(value, str) and value:
            details = body.get("errors")
            if name == "title" and isinstance(details, dict) and details:
                extra = "; ".join(
                    f"{key}: {_message_from_body(text)}" for key, text in details.items()
                )
                return f"{value} ({extra})"
            return value
    for name in ("errors", "error", "Errors"):
        value = body.get(name)
        if value:
            if isinstance(value, dict) and not any(
                key in value for key in ("message", "Message", "title")
            ):
                return "; ".join(
                    f"{key}: {_message_from_body(text)}" for key, text in value.items()
                )
            return _message_from_body(value)
    return ""


def _mask(text: str, secret_values: Iterable[str]) -> str:
    for secret in secret_values:
        if secret:
            text = text.replace(secret, MASK)
    return text


def _describe(response: requests.Response) -> str:
    method = getattr(response, "request_method", None) or (
        response.request.method if response.request is not None else ""
    )
    path = getattr(response, "logged_path", None) or urlsplit(response.url or "").path
    return f"{method} {path} (HTTP {response.status_code})"


def _request_id(response: requests.Response | None) -> str:
    if response is None:
        return ""
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    return ""


def _with_context(
    error: ConnectorError, response: requests.Response | None, status_code: int | None = None
) -> ConnectorError:
    error.status_code = response.status_code if response is not None else status_code
    error.request_id = _request_id(response)
    return error


class HttpClient:
    """An HTTP client bound to one platform account (base URL, auth headers, secrets).

    `request()` returns the `requests.Response` of a 2xx/3xx answer, or raises a connector error
    (see the module docstring). Path may be relative to `base_url` or an absolute URL (a
    pagination link given by the platform).
    """

    def __init__(
        self,
        *,
        base_url: str,
        platform: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        max_retry_after: float = 30.0,
        session: requests.Session | None = None,
        auth=None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.platform = platform
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.session = session or requests.Session()
        self.auth = auth
        secret_values = {value for value in secrets if value}
        for name, value in self.headers.items():
            if name.lower() in SECRET_HEADER_NAMES and value:
                secret_values.add(value)
                # "Bearer xyz" / "Basic xyz": the credential alone must be masked too.
                secret_values.update(part for part in value.split() if len(part) >= 8)
        if isinstance(auth, tuple) and len(auth) == 2 and auth[1]:
            secret_values.add(str(auth[1]))
        # Longest first, so a secret that contains another is masked whole.
        self.secret_values = tuple(sorted(secret_values, key=len, reverse=True))
        self.last_response: requests.Response | None = None

    def __repr__(self) -> str:
        return f"<HttpClient platform={self.platform!r} base_url={self.base_url!r}>"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params=None,
        json=None,
        data=None,
        headers=None,
        idempotent: bool | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """With `stream`, a successful response's body is not read yet: iterate it with
        `response.iter_content()` (errors while reading are the caller's to map) and close it."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.base_url}/{path.lstrip('/')}"
        )
        logged_path = self._loggable_path(url, params)
        request_headers = {**self.headers, **(headers or {})}
        extra_secrets = [
            value
            for name, value in (headers or {}).items()
            if name.lower() in SECRET_HEADER_NAMES and value
        ]
        secret_values = self.secret_values + tuple(extra_secrets)
        attempts = self.max_attempts if idempotent else 1

        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=request_headers,
                    auth=self.auth,
                    timeout=self.timeout,
                    stream=stream,
                )
            except (
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                ProtocolError,
            ) as exc:
                duration_ms = int((time.monotonic() - started) * 1000)
                reason = type(exc).__name__
                logger.info(
                    "http platform=%s method=%s path=%s status=%s duration_ms=%d request_id=%s",
                    self.platform,
                    method,
                    logged_path,
                    reason,
                    duration_ms,
                    "",
                )
                error = _with_context(
                    TransientError(
                        _mask(
                            f"{self.platform} {method} {logged_path} failed: {self._exc_text(exc)}",
                            secret_values,
                        )
                    ),
                    None,
                )
                if attempt < attempts:
                    self._sleep(self._backoff(attempt))
                    continue
                raise error from None

            duration_ms = int((time.monotonic() - started) * 1000)
            response.platform = self.platform
            response.request_method = method
            response.logged_path = logged_path
            response.secret_values = secret_values
            self.last_response = response
            request_id = _request_id(response)
            logger.info(
                "http platform=%s method=%s path=%s status=%s duration_ms=%d request_id=%s",
                self.platform,
                method,
                logged_path,
                response.status_code,
                duration_ms,
                request_id,
            )
            status = response.status_code
            if status < 400:
                return response

            platform_message = _mask(platform_message_from(response), secret_values)
            summary = f"{self.platform} {method} {logged_path} failed: HTTP {status}"
            if platform_message:
                summary = f"{summary}: {platform_message}"
            if request_id:
                summary = f"{summary} (request id {request_id})"
            summary = _mask(summary, secret_values)

            if status == 429 or status >= 500:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is None and status == 429:
                    retry_after = _rate_limit_reset(response)
                can_wait_here = retry_after is None or retry_after <= self.max_retry_after
                if attempt < attempts and can_wait_here:
                    delay = retry_after if retry_after is not None else self._backoff(attempt)
                    response.close()
                    self._sleep(delay)
                    continue
                raise _with_context(
                    TransientError(
                        summary, retry_after=retry_after, platform_message=platform_message
                    ),
                    response,
                )
            if status in (401, 403):
                raise _with_context(
                    ConfigurationError(summary, platform_message=platform_message), response
                )
            raise _with_context(
                PermanentError(summary, platform_message=platform_message), response
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base·2^(attempt-1), scaled by a random 0.5 to 1.0."""
        return self.backoff_base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def _loggable_path(self, url: str, params) -> str:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if params:
            items = params.items() if isinstance(params, Mapping) else params
            for name, value in items:
                if isinstance(value, list | tuple):
                    query.extend((name, str(entry)) for entry in value)
                else:
                    query.append((name, str(value)))
        masked = [
            (name, MASK if SECRET_QUERY_NAME.search(name) else value) for name, value in query
        ]
        path = parts.path or "/"
        return _mask(
            f"{path}?{urlencode(masked, safe='*')}" if masked else path, self.secret_values
        )

    def _exc_text(self, exc: Exception) -> str:
        # requests' messages embed the full URL: drop query strings, which may carry secrets.
        text = re.sub(r"\?[^\s'\"]*", "?…", str(exc))
        return f"{type(exc).__name__}: {text}"[:MAX_MESSAGE_LENGTH]
