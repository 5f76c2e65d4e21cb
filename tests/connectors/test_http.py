"""The HTTP client every connector uses, over real HTTP against a small emulator on loopback:
timeouts, which calls are retried, Retry-After, error mapping, request ids and secrets."""

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from integration_manager.http import HttpClient, rate_limit_headers, response_json
from tests.emulators.server import EmulatorApp, EmulatorServer, Fault, Request, json_response

SECRET = "tok_9f8e7d6c5b4a3210"
PASSWORD = "pw_0a1b2c3d4e5f"


class EchoApp(EmulatorApp):
    name = "echo"
    request_id_header = "X-Request-Id"

    def handle(self, request: Request):
        if request.path == "/text":
            return json_response("<html>Maintenance</html>")
        if request.path == "/leaky":
            # A platform that quotes the credential back in its error.
            token = request.header("X-Auth-Token")
            return json_response({"message": f"Token {token} is not valid for this store"}, 401)
        return json_response(
            {"ok": True, "method": request.method, "path": request.path},
            200,
            **{"X-Rate-Limit-Requests-Left": "7", "X-Rate-Limit-Time-Reset-Ms": "1200"},
        )


@pytest.fixture
def echo():
    app = EchoApp()
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def client_for(app, **options) -> HttpClient:
    options.setdefault("backoff_base", 0.01)
    return HttpClient(
        base_url=app.url,
        platform="Echo",
        headers={"X-Auth-Token": SECRET},
        **options,
    )


def test_a_get_answered_200_returns_the_response_with_its_rate_limit_headers(echo):
    response = client_for(echo).get("/items", params={"page": 2})

    assert response.status_code == 200
    assert response_json(response) == {"ok": True, "method": "GET", "path": "/items"}
    assert rate_limit_headers(response) == {
        "X-Rate-Limit-Requests-Left": "7",
        "X-Rate-Limit-Time-Reset-Ms": "1200",
    }
    assert echo.count() == 1


def test_a_5xx_on_a_get_is_retried_until_it_succeeds(echo):
    echo.inject(Fault(status=503, body={"message": "busy"}, times=2))

    response = client_for(echo, max_attempts=3).get("/items")

    assert response.status_code == 200
    assert [call.status for call in echo.calls] == [503, 503, 200]


def test_a_5xx_that_outlasts_the_attempts_raises_a_transient_error_naming_the_call(echo):
    echo.inject(Fault(status=502, body={"message": "Bad gateway upstream"}, times=5))

    with pytest.raises(TransientError) as raised:
        client_for(echo, max_attempts=3).get("/items")

    assert re.fullmatch(
        r"Echo GET /items failed: HTTP 502: Bad gateway upstream \(request id [0-9a-f]{32}\)",
        raised.value.message,
    )
    assert raised.value.status_code == 502
    assert echo.count() == 3


def test_a_post_is_not_retried_unless_declared_idempotent(echo):
    echo.inject(Fault(status=500, body={"message": "oops"}, times=1))
    with pytest.raises(TransientError):
        client_for(echo).post("/orders", json={"a": 1})
    assert echo.count("write") == 1

    echo.inject(Fault(status=500, body={"message": "oops"}, times=1))
    response = client_for(echo).post("/inventory", json={"a": 1}, idempotent=True)
    assert response.status_code == 200
    assert echo.count("write") == 3


def test_a_429_waits_the_retry_after_seconds_then_retries(echo):
    echo.inject(Fault(status=429, body={"message": "slow down"}, retry_after="0.3"))

    started = time.monotonic()
    response = client_for(echo).get("/items")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert echo.count() == 2


def test_a_retry_after_given_as_an_http_date_is_honoured(echo):
    when = datetime.now(UTC) + timedelta(seconds=1)
    echo.inject(Fault(status=503, body={}, retry_after=format_datetime(when, usegmt=True)))

    started = time.monotonic()
    client_for(echo).get("/items")

    # HTTP dates have whole seconds: the wait is between 0 and 1 s.
    assert 0 <= time.monotonic() - started < 1.5
    assert echo.count() == 2


def test_a_retry_after_longer_than_allowed_is_left_to_the_caller(echo):
    echo.inject(Fault(status=429, body={"message": "quota"}, retry_after="120"))

    started = time.monotonic()
    with pytest.raises(TransientError) as raised:
        client_for(echo, max_retry_after=30).get("/items")

    assert raised.value.retry_after == 120
    assert time.monotonic() - started < 1
    assert echo.count() == 1


def test_a_read_timeout_is_transient_and_retried_for_a_get(echo):
    echo.inject(Fault(latency=0.5, times=1))

    response = client_for(echo, timeout=(1.0, 0.2)).get("/items")

    assert response.status_code == 200
    time.sleep(0.5)  # the slow answer is recorded once the emulator has sent it
    assert [call.status for call in echo.calls] == [200, 200]
    assert [call.is_faulted for call in echo.calls] == [False, True]


def test_a_connection_dropped_mid_response_is_transient(echo):
    echo.inject(Fault(drop_connection=True, times=3))

    with pytest.raises(TransientError) as raised:
        client_for(echo, max_attempts=3).get("/items")

    assert "Echo GET /items failed" in raised.value.message
    assert raised.value.status_code is None
    assert echo.count() == 3


def test_a_connection_dropped_once_is_retried_for_a_get(echo):
    echo.inject(Fault(drop_connection=True, times=1))

    assert client_for(echo).get("/items").status_code == 200


def test_rejected_credentials_are_a_configuration_error_with_the_platform_message(echo):
    echo.inject(
        Fault(
            status=401,
            body={"code": "auth_error", "message": "Consumer key is invalid."},
            times=1,
        )
    )
    with pytest.raises(ConfigurationError) as raised:
        client_for(echo).get("/items")
    assert raised.value.platform_message == "Consumer key is invalid."
    assert raised.value.message.startswith(
        "Echo GET /items failed: HTTP 401: Consumer key is invalid. (request id "
    )

    echo.inject(Fault(status=403, body={"errors": "Missing scope write_inventory"}, times=1))
    with pytest.raises(ConfigurationError) as raised:
        client_for(echo).get("/items")
    assert raised.value.platform_message == "Missing scope write_inventory"
    # Neither is retried.
    assert echo.count() == 2


def test_other_4xx_are_permanent_with_the_platform_message_and_not_retried(echo):
    echo.inject(
        Fault(
            status=422,
            body={"status": 422, "title": "Invalid quantity", "errors": {"quantity": "too big"}},
        )
    )

    with pytest.raises(PermanentError) as raised:
        client_for(echo).put("/inventory", json={})

    assert raised.value.platform_message == "Invalid quantity (quantity: too big)"
    assert raised.value.status_code == 422
    assert echo.count() == 1


def test_a_body_that_is_not_json_is_a_permanent_error(echo):
    response = client_for(echo).get("/text")

    with pytest.raises(PermanentError) as raised:
        response_json(response)
    assert "not valid JSON" in raised.value.message


def test_each_request_is_logged_once_with_its_request_id_and_no_secret(echo, caplog):
    caplog.set_level(logging.INFO, logger="integration_manager.http")
    echo.inject(Fault(status=503, body={}, times=1))

    client_for(echo).get("/items", params={"api_key": SECRET, "page": 3})

    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("http platform=Echo method=GET path=/items?api_key=***&page=3 ")
    assert "status=503" in lines[0]
    assert "status=200" in lines[1]
    assert "duration_ms=" in lines[1]
    request_id = lines[1].rsplit("request_id=", 1)[1]
    assert len(request_id) == 32
    assert all(SECRET not in line for line in lines)


def test_secrets_never_appear_in_logs_or_error_messages(echo, caplog):
    caplog.set_level(logging.DEBUG, logger="integration_manager.http")
    client = HttpClient(
        base_url=echo.url,
        platform="Echo",
        headers={"X-Auth-Token": SECRET},
        auth=("user", PASSWORD),
        backoff_base=0.01,
    )

    with pytest.raises(ConfigurationError) as raised:
        client.get("/leaky", params={"token": SECRET})
    echo.inject(Fault(drop_connection=True, times=3))
    with pytest.raises(TransientError) as dropped:
        client.get(f"/items?password={PASSWORD}")

    texts = [raised.value.message, raised.value.platform_message, str(raised.value)]
    texts += [dropped.value.message, str(dropped.value), repr(client)]
    texts += [record.getMessage() for record in caplog.records]
    assert raised.value.platform_message == "Token *** is not valid for this store"
    assert all(SECRET not in text and PASSWORD not in text for text in texts)
    assert dropped.value.__cause__ is None
    assert dropped.value.__suppress_context__
