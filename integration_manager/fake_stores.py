"""Where the in-memory fake connectors keep their state: process-wide stores by name, or a JSON
state file that several processes (a test and a Celery worker) share."""

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

Store = TypeVar("Store")


class FakeStores(Generic[Store]):
    def __init__(self, *, new: Callable[[], Store], from_json: Callable[[Any], Store]) -> None:
        self._new = new
        self._from_json = from_json
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def named(self, name: str) -> Store:
        """The process-wide store called `name` (created empty on first use)."""
        with self._lock:
            return self._stores.setdefault(name, self._new())

    def reset(self, name: str | None = None) -> None:
        """Forget one store, or all of them."""
        with self._lock:
            if name is None:
                self._stores.clear()
            else:
                self._stores.pop(name, None)

    @contextlib.contextmanager
    def state_file(self, path: str | Path) -> Iterator[Store]:
        """Lock the JSON state file, load it (empty when missing), yield it, save it atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".lock"), "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                store = (
                    self._from_json(json.loads(path.read_text())) if path.exists() else self._new()
                )
                yield store
                handle, temporary = tempfile.mkstemp(
                    dir=path.parent, prefix=path.name, suffix=".tmp"
                )
                with os.fdopen(handle, "w") as output:
                    json.dump(store.to_json(), output)
                os.replace(temporary, path)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
