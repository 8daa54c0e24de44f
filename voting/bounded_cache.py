"""A small thread-safe map that forgets its least recently used entries.

For what a process may compute again at any time and reads on every voter page: ballot
layouts, the ballot's rendered awards, the ballot form's class. Each is kept per process
and bounded, so a long-running server never grows without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    """At most *size* entries; the one used longest ago goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Value) -> Value:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The entry for *key*, made (outside the lock: it may be slow) if there is none.
        Two threads may both make a missing entry; the last one kept wins, both are right."""
        found = self.get(key)
        return found if found is not None else self.put(key, make())
