#!/usr/bin/env python3
"""Install, start and stop a real Vendure 3.7.3 server (minimal: SQLite, plain JS, no dashboard)
for the Vendure connector's end-to-end test and the Vendure demo. Standard library only.

    python scripts/vendure/vendure.py install    # npm ci into the cache folder (2+ min cold)
    python scripts/vendure/vendure.py start [--port N] [--fresh]    # waits until it answers
    python scripts/vendure/vendure.py status     # prints the URL, exits 1 if not running
    python scripts/vendure/vendure.py stop       # SIGTERM to its PID, SIGKILL after 15 s

The folder is `$VENDURE_DIR`, default `~/.cache/integration-manager/vendure-3.7.3`. `install`
copies the app files of `scripts/vendure/app/` there (package.json pinned to @vendure/core
3.7.3 and better-sqlite3 12.11.1, with the package-lock.json of the whole tree) and runs `npm ci`,
unless the installed tree already matches them. Only the npm registry is reached (better-sqlite3
is compiled locally when its prebuilt binary cannot be fetched: gcc/g++/make/python3).

`start` binds 127.0.0.1 on `--port` (default `$VENDURE_PORT` or 3000) and refuses a port already
in use; the database is `<dir>/data/vendure.sqlite` (`--fresh` deletes it first; the first start
populates zones, countries, tax, shipping and payment methods). It writes `<dir>/server.json`
(pid, port, url, log) and logs to `<dir>/vendure.log`. Telemetry is always disabled.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VERSION = "3.7.3"
APP_SOURCE = Path(__file__).resolve().parent / "app"
APP_FILES = (
    "package.json",
    "package-lock.json",
    "vendure-config.js",
    "index.js",
    "initial-data.json",
)
DEFAULT_PORT = 3000
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 15.0
INSTALL_STAMP = ".installed"


def vendure_dir() -> Path:
    configured = os.environ.get("VENDURE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".cache" / "integration-manager" / f"vendure-{VERSION}"


def _log(message: str) -> None:
    print(f"vendure: {message}", flush=True)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        path = APP_SOURCE / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _copy_app(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        source = APP_SOURCE / name
        if source.exists():
            shutil.copyfile(source, folder / name)


def install(folder: Path) -> float:
    """Install the pinned tree into `folder`. Returns the seconds it took (0 when it was
    already installed)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"vendure: {tool} is not installed (Vendure needs Node.js 20+).")
    stamp = folder / INSTALL_STAMP
    fingerprint = _fingerprint()
    if (
        (folder / "node_modules" / "@vendure" / "core").is_dir()
        and stamp.exists()
        and stamp.read_text().strip() == fingerprint
    ):
        _copy_app(folder)
        _log(f"already installed in {folder}")
        return 0.0
    _copy_app(folder)
    started = time.monotonic()
    command = ["npm", "ci"] if (folder / "package-lock.json").exists() else ["npm", "install"]
    command += ["--no-audit", "--no-fund", "--loglevel", "error"]
    _log(f"installing Vendure {VERSION} into {folder} ({' '.join(command)})")
    env = {**os.environ, "VENDURE_DISABLE_TELEMETRY": "true"}
    subprocess.run(command, cwd=folder, env=env, check=True)  # noqa: S603
    stamp.write_text(fingerprint + "\n")
    seconds = time.monotonic() - started
    _log(f"installed in {seconds:.1f} s")
    return seconds


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_state(folder: Path) -> dict | None:
    path = folder / "server.json"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and _pid_alive(int(state.get("pid", 0))) else None


def answers(url: str, *, timeout: float = 2.0) -> bool:
    """Whether the Admin API answers a trivial query with HTTP 200."""
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
        f"{url}/admin-api",
        data=b'{"query":"{__typename}"}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(folder: Path, *, port: int, is_fresh: bool) -> float:
    """Start the server in the background and wait until it answers. Returns the seconds it
    took to answer."""
    if not (folder / "node_modules" / "@vendure" / "core").is_dir():
        raise SystemExit(f"vendure: not installed in {folder}; run `install` first.")
    if _read_state(folder) is not None:
        raise SystemExit(f"vendure: already running ({folder / 'server.json'}); `stop` it first.")
    if _port_in_use(port):
        raise SystemExit(f"vendure: port {port} on 127.0.0.1 is already in use.")
    _copy_app(folder)
    data = folder / "data"
    data.mkdir(exist_ok=True)
    database = data / "vendure.sqlite"
    if is_fresh:
        for path in data.glob("vendure.sqlite*"):
            path.unlink()
    log_path = folder / "vendure.log"
    env = {
        **os.environ,
        "VENDURE_DISABLE_TELEMETRY": "true",
        "VENDURE_PORT": str(port),
        "VENDURE_DB_PATH": str(database),
    }
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["node", "index.js"],  # noqa: S607
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    state = {"pid": process.pid, "port": port, "url": url, "log": str(log_path)}
    (folder / "server.json").write_text(json.dumps(state) + "\n")
    deadline = started + START_TIMEOUT_SECONDS
    while not answers(url):
        if process.poll() is not None:
            (folder / "server.json").unlink(missing_ok=True)
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
            raise SystemExit(f"vendure: exited with {process.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            stop(folder)
            raise SystemExit(f"vendure: no answer after {START_TIMEOUT_SECONDS:.0f} s")
        time.sleep(0.2)
    seconds = time.monotonic() - started
    _log(f"answering at {url} after {seconds:.1f} s (pid {process.pid}, log {log_path})")
    return seconds


def stop(folder: Path) -> bool:
    """Stop the server by its PID. Returns whether one was running."""
    path = folder / "server.json"
    state = _read_state(folder)
    if state is None:
        path.unlink(missing_ok=True)
        _log("not running")
        return False
    pid = int(state["pid"])
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    while _pid_alive(pid) and time.monotonic() - started < STOP_TIMEOUT_SECONDS:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    _log(f"stopped pid {pid} in {time.monotonic() - started:.1f} s")
    return True


def status(folder: Path) -> str | None:
    state = _read_state(folder)
    return state["url"] if state and answers(state["url"]) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="the folder (default $VENDURE_DIR or the cache)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="npm ci the pinned Vendure into the folder")
    start_parser = commands.add_parser("start", help="start on 127.0.0.1 and wait for it")
    start_parser.add_argument(
        "--port", type=int, default=int(os.environ.get("VENDURE_PORT", DEFAULT_PORT))
    )
    start_parser.add_argument("--fresh", action="store_true", help="start on an empty database")
    commands.add_parser("stop", help="stop the server by its PID")
    commands.add_parser("status", help="print the URL of the running server")
    options = parser.parse_args(argv)
    folder = options.dir.expanduser().resolve() if options.dir else vendure_dir()
    if options.command == "install":
        install(folder)
    elif options.command == "start":
        start(folder, port=options.port, is_fresh=options.fresh)
    elif options.command == "stop":
        stop(folder)
    else:
        url = status(folder)
        if url is None:
            _log("not running")
            return 1
        print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
