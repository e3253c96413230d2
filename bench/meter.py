"""Timing a request against the floor page, interleaved with it, with its queries."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Meter:
    """Times requests against the floor, interleaved, and counts their queries."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.floor_times: list[float] = []
        self.last_times: list[float] = []

    def floor(self) -> float:
        start = time.perf_counter()
        response = self.client.get("/bench/floor/")
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        self.floor_times.append(elapsed)
        return elapsed

    def measure(
        self,
        action: Callable[[], Any],
        samples: int,
        prepare: Callable[[], Any] | None = None,
    ) -> dict[str, float]:
        """Median and p95 of `action` over the floor's median, and its most queries.

        `prepare`, when given, runs before each sample, untimed and uncounted.
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        times, floors, queries = [], [], []
        for _ in range(samples):
            if prepare:
                prepare()
            floors.append(self.floor())
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                action()
                times.append(time.perf_counter() - start)
            queries.append(len(captured))
        floor = statistics.median(floors)
        self.last_times = times
        return {
            "median / floor": round(statistics.median(times) / floor, 2),
            "p95 / floor": round(percentile(times, 0.95) / floor, 2),
            "queries": max(queries),
            "floor ms": round(floor * 1000, 2),
        }
