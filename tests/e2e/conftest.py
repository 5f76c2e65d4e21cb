"""Real Celery processes for the end-to-end tests.

`celery_stack` starts a worker on all three queues and beat, as subprocesses, on the test
database of this pytest run (committed data: the tests use `transactional_db`) and on Redis when
`REDIS_URL` is set (under a key prefix of their own, so other processes on the same Redis are
not disturbed), else on the embedded filesystem broker in a temporary folder. Every wait is
bounded; the processes are always stopped (their whole process group), and their logs are
printed when a test fails.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from merchants.models import Merchant
from merchants.services import merchant_delete

WAIT_SECONDS = 60.0
STOP_SECONDS = 10.0
LOG_TAIL_LINES = 200


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def database_url() -> str:
    """The URL of the database this test run uses (the test database pytest-django created)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(config["USER"] or "", safe="")
        if config.get("PASSWORD"):
            credentials += ":" + quote(config["PASSWORD"], safe="")
        host = config.get("HOST") or "127.0.0.1"
        port = f":{config['PORT']}" if config.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{config['NAME']}"
    raise NotImplementedError(f"no end-to-end support for {connection.vendor}")


class CeleryStack:
    """A Celery worker and beat, as subprocesses with their own process groups."""

    def __init__(self, folder: Path, *, intervals: dict[str, float]) -> None:
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_DIR": str(folder / "broker"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(folder / "celerybeat-schedule"),
            "CELERY_BROKER_KEY_PREFIX": f"e2e-{uuid.uuid4().hex[:12]}:",
            "LOG_LEVEL": "INFO",
            **{name: str(value) for name, value in intervals.items()},
        }
        self.env.pop("CELERY_ALWAYS_EAGER", None)

    @property
    def broker_label(self) -> str:
        return "Redis" if self.env.get("REDIS_URL") else "the embedded filesystem broker"

    def start(self) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "integration_manager"]
        self._start(
            "worker",
            [
                *celery,
                "worker",
                "-Q",
                "default,downloads,uploads",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"e2e-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "INFO",
            ],
        )
        self._start("beat", [*celery, "beat", "--loglevel", "INFO"])

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed by the child's exit
        self.processes[name] = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the pool's children die with it
        )
        log.close()

    def stop(self) -> None:
        # A warm shutdown of each main process (it stops its own pool), then SIGKILL to the whole
        # group for anything left.
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group may outlive its leader (pool children): kill whatever is left.
            _signal_group(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_SECONDS)

    def logs(self) -> str:
        parts = []
        for name in self.processes:
            path = self.folder / f"{name}.log"
            lines = path.read_text(errors="replace").splitlines() if path.exists() else []
            parts.append(
                f"----- celery {name} (last {LOG_TAIL_LINES} of {len(lines)} lines) -----\n"
                + "\n".join(lines[-LOG_TAIL_LINES:])
            )
        return "\n".join(parts)

    def assert_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"celery {name} exited with {process.returncode}\n{self.logs()}")

    def wait_for(
        self, what: str, condition: Callable[[], object], *, timeout: float = WAIT_SECONDS
    ) -> object:
        """Poll `condition` until it returns something truthy; fail with the logs after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            self.assert_alive()
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Waited {timeout:.0f} s on {self.broker_label} for: {what}\n{self.logs()}"
                )
            time.sleep(0.25)


def _signal_group(process: subprocess.Popen, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, number)


@pytest.fixture
def celery_stack(request, transactional_db, tmp_path):
    """A running worker (queues default, downloads, uploads) and beat, with heartbeats and
    dispatchers every second. Stopped after the test, before the database is flushed."""
    stack = CeleryStack(
        tmp_path,
        intervals={
            "HEARTBEAT_INTERVAL_SECONDS": 2,
            "DISPATCH_INTERVAL_SECONDS": 1,
            "REAP_INTERVAL_SECONDS": 5,
        },
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            print(stack.logs())
        # The flush after a transactional test deletes tables in no fixed order on SQLite, and
        # the database refuses to delete a Default warehouse while its merchant exists.
        for merchant in Merchant.objects.all():
            merchant_delete(merchant=merchant)
