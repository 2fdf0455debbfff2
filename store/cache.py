"""A thread-safe LRU bounded in bytes, with get-or-compute.

Concurrent requests for the same missing key wait for one computation instead of
each doing it (as restic's bloblru does): with many FUSE threads reading the same
new version, its tree is built once.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRU:
    def __init__(self, max_bytes: int, sizeof: Callable[[Any], int] = len):
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        size = self._sizeof(value)
        with self._lock:
            self._put_locked(key, value, size)

    def _put_locked(self, key, value, size) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        if size > self.max_bytes:
            return
        self._items[key] = (value, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self._bytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value, or ``compute()`` run once however many threads ask."""
        while True:
            with self._lock:
                item = self._items.get(key)
                if item is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return item[0]
                waiter = self._loading.get(key)
                if waiter is None:
                    self._loading[key] = threading.Event()
                    self.misses += 1
                    break
            waiter.wait()
        try:
            value = compute()
            size = self._sizeof(value)
            with self._lock:
                self._put_locked(key, value, size)
            return value
        finally:
            with self._lock:
                self._loading.pop(key).set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
