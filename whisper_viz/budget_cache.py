"""An LRU cache with a memory budget that threads can share: each missing key is computed once, outside
the cache's lock.

Used for work that many app sessions ask for at once (the same clip analysed by the same model, the
figures derived from it) and for what one session keeps. The lock is held only to look up, insert and
evict, never while a value is computed, so a slow computation blocks only the callers waiting for that
same key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Generic, Hashable, TypeVar

from .errors import WhisperVizError

V = TypeVar("V")
WAIT_POLL_SECONDS = 0.2  # a waiter calls its on_wait this often while another thread computes


def nbytes_of(value) -> int:
    """Bytes a cached value holds: its `nbytes` attribute (numpy arrays, results), else 0."""
    return int(getattr(value, "nbytes", 0) or 0)


@dataclass
class _Flight:
    """A computation in progress; waiters block on `done`."""

    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False  # True once `value` holds the result
    value: object = None
    error: WhisperVizError | None = None  # a user-facing error, shared with the waiters


class BudgetCache(Generic[V]):
    """LRU of at most `budget_bytes` (sizes from `size_of`); the newest entry is kept even when over."""

    def __init__(self, budget_bytes: int, size_of: Callable[[object], int] = nbytes_of):
        self.budget_bytes = budget_bytes
        self.size_of = size_of
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._bytes = 0
        self.hits = 0  # lookups answered from the cache (or by waiting for another thread)
        self.misses = 0  # lookups that computed their value

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> V | None:
        """The cached value of `key` (now most recently used), or None."""
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return item[0]

    def get_or_compute(self, key: Hashable, compute: Callable[[], V],
                       on_wait: Callable[[], None] | None = None) -> V:
        """The value of `key`, computed by `compute()` if no thread has it yet.

        Callers asking for a key being computed wait for it (calling `on_wait()` every WAIT_POLL_SECONDS;
        it may raise to stop waiting). A WhisperVizError from `compute` reaches every waiter; on any other
        exception (e.g. the computing caller was cancelled) one waiter computes it again.
        """
        while True:
            with self._lock:
                item = self._entries.get(key)
                if item is not None:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return item[0]
                flight = self._flights.get(key)
                owner = flight is None
                if owner:
                    flight = self._flights[key] = _Flight()
                    self.misses += 1
            if owner:
                return self._compute(key, flight, compute)
            while not flight.done.wait(WAIT_POLL_SECONDS):
                if on_wait is not None:
                    on_wait()
            if flight.ok:
                return flight.value
            if flight.error is not None:
                raise flight.error
            # abandoned: the next turn of the loop computes it here

    def _compute(self, key: Hashable, flight: _Flight, compute: Callable[[], V]) -> V:
        try:
            value = compute()
        except WhisperVizError as error:
            flight.error = error
            raise
        else:
            self.put(key, value)
            flight.value, flight.ok = value, True
            return value
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def put(self, key: Hashable, value: V) -> None:
        """Insert (or replace) `key`, then evict least recently used entries over the budget."""
        size = self.size_of(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.budget_bytes and len(self._entries) > 1:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def discard(self, predicate: Callable[[Hashable], bool]) -> None:
        """Drop every entry whose key satisfies `predicate`."""
        with self._lock:
            for key in [k for k in self._entries if predicate(k)]:
                self._bytes -= self._entries.pop(key)[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
