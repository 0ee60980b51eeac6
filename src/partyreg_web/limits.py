"""Rate limits: a sliding window of events per key, in this process's memory.

One process serves the site (``partyreg serve``); behind nginx, ``limit_req`` in front adds a
limit across processes (docs/web.md). A refused event is not counted, so a client that backs
off gets through again once its window has room.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import attrs


@attrs.frozen
class Limit:
    """At most ``events`` in ``seconds``."""

    events: int
    seconds: float


@attrs.frozen
class SiteLimits:
    """The site's limits: sign-in attempts per client address, link requests per client
    address, writes per signed-in member, check-in codes entered per member (a six-digit
    code must not be guessed) and certificate checks per client address."""

    signin: Limit = attrs.field(factory=lambda: Limit(10, 60.0))
    link_request: Limit = attrs.field(factory=lambda: Limit(5, 600.0))
    write: Limit = attrs.field(factory=lambda: Limit(30, 60.0))
    check_in: Limit = attrs.field(factory=lambda: Limit(10, 600.0))
    verify: Limit = attrs.field(factory=lambda: Limit(20, 60.0))


class RateLimiter:
    """Counts events per key within each limit's window (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._events: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, kind: str, key: str, limit: Limit) -> bool:
        """Count one event of ``kind`` by ``key`` unless the window is full (then ``False``)."""
        now = self._clock()
        with self._lock:
            if len(self._events) > 100_000:  # forget idle keys rather than grow without end
                self._forget(now, limit.seconds)
            window = self._events.setdefault((kind, key), deque())
            while window and window[0] <= now - limit.seconds:
                window.popleft()
            if len(window) >= limit.events:
                return False
            window.append(now)
            return True

    def _forget(self, now: float, seconds: float) -> None:
        for key in [k for k, w in self._events.items() if not w or w[-1] <= now - seconds]:
            del self._events[key]
