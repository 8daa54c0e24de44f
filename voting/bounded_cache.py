"""A small thread-safe map that forgets its least recently used entries.

For what a process may compute again at any time and reads on every voter page: ballot
layouts, the ballot's rendered awards, the ballot form's class. Each is kept per process
and bounded, so a long-running server never grows without limit. `ObjectCache` keys its
entries by an object's identity, for objects too large to hash on every page (a layout).
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


class ObjectCache(Generic[Value]):
    """Entries made for one object (and an optional key), found by the object's identity.

    Python reuses an id once its object is gone, so each entry keeps its object: while the
    entry lives its id cannot pass to another object (and `get` checks it is the same one).
    """

    def __init__(self, size: int) -> None:
        self._entries: BoundedCache[tuple[object, Value]] = BoundedCache(size)

    def get(self, owner: object, key: Hashable = ()) -> Value | None:
        found = self._entries.get((id(owner), key))
        return found[1] if found is not None and found[0] is owner else None

    def put(self, owner: object, value: Value, key: Hashable = ()) -> Value:
        self._entries.put((id(owner), key), (owner, value))
        return value
