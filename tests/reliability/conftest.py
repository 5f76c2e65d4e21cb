"""Fixtures of the reliability tests: the emulators' fixtures of the connector tests and the
real Celery processes of the end-to-end tests, reused; a Redis server of our own."""

import contextlib
import shutil
import socket
import subprocess
import time

import pytest
import redis

from merchants.models import Merchant
from merchants.services import merchant_delete
from tests.connectors.test_extensiv_3pl import _fresh_token_cache, wms  # noqa: F401
from tests.e2e.conftest import CeleryStack, pytest_runtest_makereport  # noqa: F401

STACK_INTERVALS = {
    "HEARTBEAT_INTERVAL_SECONDS": 1,
    "DISPATCH_INTERVAL_SECONDS": 1,
    "REAP_INTERVAL_SECONDS": 2,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test only (no persistence), on an ephemeral port, which the test
    may kill and start again. The shared Redis of the machine is never touched."""

    def __init__(self, folder) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            if time.monotonic() > deadline:
                pytest.fail("our own redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """A crash: SIGKILL, so nothing is saved (and it keeps nothing anyway)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def celery_processes(request, transactional_db, tmp_path):
    """Start a worker and beat (`CeleryStack` of the end-to-end tests) with extra environment:
    `start(**env)`. Stopped after the test, their logs printed when it failed."""
    stacks: list[CeleryStack] = []

    def start(**env) -> CeleryStack:
        folder = tmp_path / f"stack-{len(stacks)}"
        folder.mkdir()
        stack = CeleryStack(folder, intervals=STACK_INTERVALS)
        stack.env.update({name: str(value) for name, value in env.items()})
        stacks.append(stack)
        stack.start()
        return stack

    try:
        yield start
    finally:
        for stack in stacks:
            stack.stop()
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            for stack in stacks:
                print(stack.logs())
        for merchant in Merchant.objects.all():
            merchant_delete(merchant=merchant)
