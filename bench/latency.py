# ruff: noqa: E402 - Django is set up before the imports.
"""Push-to-cart latency, run by hand: how long from an inventory push to our REST API until the
Shopify emulator holds the new number.

    createdb im_bench_latency
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1/im_bench_latency \\
        REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/latency.py

It migrates the database it is given, serves the Shopify emulator (tests/emulators/shopify.py)
on loopback, and starts the real processes: the web app (gunicorn), a Celery worker on every
queue and beat, on a broker key prefix of their own. A merchant on Automatic gets an API key
and a Shopify cart on Automatic with `--skus` variants; a first push of every SKU (not measured)
lets the first upload read the cart. Then, `--changes` times, one SKU gets a new quantity:
POST /api/v1/merchants/{id}/inventory/ (the download runs in the request and queues the cart's
upload on commit; the worker posts the change), and the clock stops when the emulator holds the
new number (polled every 5 ms). The goal is p95 <= 5 s.

Its last line is exactly `p50_s=<x> p95_s=<y>`.
"""

import argparse
import contextlib
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from carts.models import Cart, UploadMode
from merchants.models import InventorySyncMode
from merchants.services import (
    api_key_create,
    connection_secrets_update,
    merchant_create,
    merchant_delete,
)
from tests.emulators.server import EmulatorServer
from tests.emulators.shopify import ACCESS_TOKEN, ShopifyEmulator

WARM_UP_TIMEOUT_SECONDS = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The web app, a worker and beat, each in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "CELERY_BROKER_KEY_PREFIX": f"bench-latency-{uuid.uuid4().hex[:8]}:",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(folder / "celerybeat-schedule"),
            "LOG_LEVEL": "WARNING",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "integration_manager"]
        self._start(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "integration_manager.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
            ],
        )
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
                f"bench-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "WARNING",
            ],
        )
        self._start("beat", [*celery, "beat", "--loglevel", "WARNING"])

    def _start(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our own commands
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} exited with {process.returncode}:\n{log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_until(condition, *, timeout: float, processes: Processes, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        processes.check_alive()
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--skus", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per change")
    options = parser.parse_args()

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("warning: the bench is meant for PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    call_command("migrate", verbosity=0)
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}, database {connection.vendor}, "
        f"broker {'Redis' if settings.REDIS_URL else 'filesystem'}",
        flush=True,
    )

    app = ShopifyEmulator(maximum_available=1_000_000, restore_rate=1_000_000)
    variants = app.seed(options.skus, quantity=0, prefix="LAT")
    merchant = merchant_create(
        name=f"bench-latency-{uuid.uuid4().hex[:8]}",
        inventory_sync_mode=InventorySyncMode.AUTOMATIC,
    )
    key = api_key_create(merchant=merchant, name="bench").key
    with (
        tempfile.TemporaryDirectory(prefix="bench-latency-") as folder,
        EmulatorServer(app) as server,
    ):
        cart = Cart.objects.create(
            merchant=merchant,
            name="bench-shopify",
            connector_key="shopify",
            connection_parameters={"base_url": server.url, "location_id": app.default_location},
            upload_mode=UploadMode.AUTOMATIC,
        )
        connection_secrets_update(connection=cart, secrets={"access_token": ACCESS_TOKEN})
        processes = Processes(Path(folder))
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        push_url = f"{processes.url}/api/v1/merchants/{merchant.pk}/inventory/"

        def push(request_id: str, records: list[dict]) -> None:
            response = session.post(
                push_url, json={"request_id": request_id, "records": records}, timeout=30
            )
            if response.status_code != 202 or response.json()["run"]["state"] != "succeeded":
                raise SystemExit(f"push {request_id}: {response.status_code} {response.text}")

        try:
            processes.start()

            def web_answers() -> bool:
                with contextlib.suppress(requests.RequestException):
                    return requests.get(f"{processes.url}/health/", timeout=1).ok
                return False

            _wait_until(web_answers, timeout=60, processes=processes, what="the web app")
            started = time.monotonic()
            push("warm-up", [{"sku": v.sku, "quantity_on_hand": 10} for v in variants])
            _wait_until(
                lambda: all(app.quantity(v.inventory_item_id) == 10 for v in variants),
                timeout=WARM_UP_TIMEOUT_SECONDS,
                processes=processes,
                what="the first upload",
            )
            print(
                f"warm-up: {options.skus} SKUs pushed and uploaded in "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )

            latencies = []
            for number in range(options.changes):
                variant = variants[number % len(variants)]
                quantity = 11 + number
                started = time.perf_counter()
                push(f"change-{number}", [{"sku": variant.sku, "quantity_on_hand": quantity}])
                posted = time.perf_counter()
                deadline = started + options.timeout
                while app.quantity(variant.inventory_item_id) != quantity:
                    if time.perf_counter() > deadline:
                        processes.check_alive()
                        raise SystemExit(f"change {number}: not in the cart after the timeout")
                    time.sleep(0.005)
                latency = time.perf_counter() - started
                latencies.append(latency)
                if number % 10 == 0:
                    print(
                        f"  change {number}: {latency:.3f} s (push answered in "
                        f"{posted - started:.3f} s)",
                        flush=True,
                    )
        finally:
            processes.stop()
            merchant_delete(merchant=merchant)

    print(
        f"{len(latencies)} changes: min {min(latencies):.3f} s, mean "
        f"{statistics.mean(latencies):.3f} s, max {max(latencies):.3f} s; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"p50_s={_percentile(latencies, 0.50):.3f} p95_s={_percentile(latencies, 0.95):.3f}")


if __name__ == "__main__":
    main()
