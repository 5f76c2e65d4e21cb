"""The shared base of the platform emulators: an in-memory app behind a real HTTP server.

An emulator is an `EmulatorApp` subclass. Its `handle(request)` returns a `Response`; this base
adds what every emulator needs:

- a server on 127.0.0.1 with an ephemeral port, in a daemon thread (`EmulatorServer(app)`, a
  context manager; `.url` is its base URL), HTTP/1.1 with keep-alive like a real platform;
- call counting: every request is recorded (`app.calls`) with the kind the app gives it
  (`"read"`, `"write"`, `"auth"`, ...), so tests assert exact counts (`app.count("write")`);
- fault injection: `app.inject(Fault(...))` queues a fault applied to the next `times` matching
  requests: a status + body (+ `Retry-After`), latency, a connection dropped mid-response, or
  `after_handling=True` (the request is really handled, its state change kept, and the fault's
  answer sent instead: "the platform applied it, then the gateway answered 502");
- a test-control surface over HTTP (not part of any real API) under `/_emulator/`, for a server
  run in another process: `GET /_emulator/calls`, `POST /_emulator/faults` (a Fault as JSON),
  `POST /_emulator/reset-calls`, and whatever `control(...)` of the app adds (seeding);
- a standalone runner: `python -m tests.emulators.<name> --port N` (see `run_standalone`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode() or "null")

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes → as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(status=status, body=body, headers=dict(headers))


@dataclass
class Fault:
    """What to do to the next `times` requests matching `method` / `path` (a regex searched in the
    path) / `kind` (the app's classification), once `after` matching requests went through.
    Fields combine: latency then the rest."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: str | None = None
    latency: float = 0.0
    drop_connection: bool = False
    after_handling: bool = False
    method: str | None = None
    path: str | None = None
    kind: str | None = None
    times: int = 1
    # Let this many matching requests through untouched first ("the 2nd write fails").
    after: int = 0

    def matches(self, request: Request, kind: str) -> bool:
        if self.method and self.method.upper() != request.method:
            return False
        if self.path and not re.search(self.path, request.path):
            return False
        return not (self.kind and self.kind != kind)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    kind: str
    status: int | str
    is_faulted: bool


class EmulatorApp:
    """Base of an emulator: subclasses implement `handle` and `classify`."""

    name = "emulator"
    # The platform's request id header, sent with a fresh id on every answer (None: not sent).
    request_id_header: str | None = None

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.calls: list[Call] = []

    # --- for subclasses -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def classify(self, request: Request) -> str:
        """The kind of a request, for counting and fault matching: "read", "write", ..."""
        return "write" if request.method in ("POST", "PUT", "PATCH", "DELETE") else "read"

    def control(self, action: str, payload: Any) -> Response | None:
        """App-specific control actions (`POST /_emulator/<action>`); None when unknown."""
        return None

    # --- for tests ------------------------------------------------------------------------------

    def inject(self, fault: Fault | None = None, **fields: Any) -> Fault:
        fault = fault or Fault(**fields)
        with self.lock:
            self.faults.append(fault)
        return fault

    def count(self, kind: str | None = None, *, path: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for call in self.calls
                if (kind is None or call.kind == kind)
                and (path is None or re.search(path, call.path))
            )

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    # --- plumbing -------------------------------------------------------------------------------

    def _take_fault(self, request: Request, kind: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(request, kind):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _record(self, request: Request, kind: str, status: int | str, is_faulted: bool) -> None:
        with self.lock:
            self.calls.append(Call(request.method, request.path, kind, status, is_faulted))

    def _control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_emulator/").strip("/")
        if action == "calls":
            with self.lock:
                return json_response([asdict(call) for call in self.calls])
        if action == "reset-calls":
            self.reset_calls()
            return json_response({"ok": True})
        if action == "faults":
            self.inject(Fault(**request.json()))
            return json_response({"ok": True})
        payload = request.json() if request.body else None
        response = self.control(action, payload)
        return response or json_response({"error": f"unknown control {action}"}, 404)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        app = self.server.app
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        if request.path.startswith("/_emulator/"):
            self._send(app._control(request))
            return
        kind = app.classify(request)
        fault = app._take_fault(request, kind)
        if fault and fault.latency:
            time.sleep(fault.latency)
        response: Response | None = None
        if fault is None or fault.after_handling or fault.status is None:
            try:
                response = app.handle(request)
            except Exception as error:  # an emulator bug must show as a 500, not hang the test
                response = json_response({"error": f"emulator error: {error!r}"}, 500)
        if fault is not None and fault.status is not None:
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            response = Response(status=fault.status, body=fault.body, headers=headers)
        assert response is not None
        if fault is not None and fault.drop_connection:
            app._record(request, kind, "dropped", True)
            self._send_truncated(response)
            return
        app._record(request, kind, response.status, fault is not None)
        self._send(response)

    def _send(self, response: Response) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.server.app.request_id_header:
            self.send_header(self.server.app.request_id_header, uuid.uuid4().hex)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_truncated(self, response: Response) -> None:
        """Headers announce the whole body; half of it is sent, then the connection is closed."""
        payload = response.encoded() or b'{"dropped": true}'
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        super().__init__(address, _Handler)
        self.app = app


class EmulatorServer:
    """Serves `app` on 127.0.0.1 (port 0 → an ephemeral port) in a daemon thread."""

    def __init__(self, app: EmulatorApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = _Server((host, port), app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # a quick shutdown between tests
            name=f"{app.name}-emulator",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_standalone(
    make_app: Callable[[argparse.Namespace], EmulatorApp],
    *,
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    argv: list[str] | None = None,
) -> None:
    """`python -m tests.emulators.<name> --port N [...]`: serve until interrupted."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    if add_arguments:
        add_arguments(parser)
    options = parser.parse_args(argv)
    app = make_app(options)
    server = _Server((options.host, options.port), app)
    host, port = server.server_address[:2]
    print(f"{app.name} emulator on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
