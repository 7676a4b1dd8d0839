"""BudgetCache: a byte budget with LRU eviction, and each missing key computed once across threads."""

import threading
import time

import numpy as np
import pytest

from whisper_viz.budget_cache import BudgetCache
from whisper_viz.errors import AudioError


def test_least_recently_used_entries_go_first_and_the_newest_always_stays():
    cache = BudgetCache(budget_bytes=3000)
    for key in "abc":
        cache.put(key, np.zeros(1000, np.uint8))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("d", np.zeros(1000, np.uint8))
    assert "b" not in cache and all(k in cache for k in "acd")
    assert cache.total_bytes == 3000
    cache.put("huge", np.zeros(10_000, np.uint8))  # over the whole budget: kept alone
    assert len(cache) == 1 and "huge" in cache


def test_threads_asking_together_compute_once_and_share_the_value():
    cache = BudgetCache(budget_bytes=1 << 20)
    calls, started = [], threading.Event()

    def compute():
        calls.append(1)
        started.set()
        time.sleep(0.3)  # the others arrive while this runs
        return np.arange(10)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 6
    assert all(r is results[0] for r in results)
    assert cache.misses == 1


def test_a_slow_key_does_not_block_other_keys():
    cache = BudgetCache(budget_bytes=1 << 20)
    release = threading.Event()
    slow = threading.Thread(target=lambda: cache.get_or_compute("slow", lambda: release.wait(10) and 1))
    slow.start()
    time.sleep(0.05)
    try:
        assert cache.get_or_compute("fast", lambda: 2) == 2  # returns while "slow" is still computing
    finally:
        release.set()
        slow.join()


def test_a_user_error_reaches_every_waiter_and_is_not_cached():
    cache = BudgetCache(budget_bytes=1 << 20)
    entered = threading.Event()

    def failing():
        entered.set()
        time.sleep(0.2)
        raise AudioError("bad audio")

    errors = []

    def ask():
        try:
            cache.get_or_compute("k", failing)
        except AudioError as error:
            errors.append(str(error))

    first = threading.Thread(target=ask)
    first.start()
    entered.wait(5)
    second = threading.Thread(target=ask)
    second.start()
    first.join()
    second.join()
    assert errors == ["bad audio", "bad audio"]
    assert "k" not in cache
    assert cache.get_or_compute("k", lambda: 5) == 5


def test_an_abandoned_computation_is_taken_over_by_a_waiter():
    """The computing caller stops (an app session cancelled): a waiting caller computes the value itself."""
    cache = BudgetCache(budget_bytes=1 << 20)
    entered, waiting = threading.Event(), threading.Event()

    def cancelled():
        entered.set()
        waiting.wait(10)  # stop only once the other caller waits for this computation
        raise KeyboardInterrupt  # anything that is not a WhisperVizError

    def owner():
        with pytest.raises(KeyboardInterrupt):
            cache.get_or_compute("k", cancelled)

    thread = threading.Thread(target=owner)
    thread.start()
    entered.wait(5)
    waits = []
    assert cache.get_or_compute("k", lambda: "computed by the waiter",
                                on_wait=lambda: waits.append(1) or waiting.set()) == "computed by the waiter"
    thread.join()
    assert waits  # it was told while it waited
