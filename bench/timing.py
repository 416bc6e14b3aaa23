"""Best-of-N timing shared by the benchmarks: wall and CPU seconds of the fastest run.

The best run, not the mean: on a shared machine the slower runs measure the neighbours.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    """Return ``(wall_s, cpu_s, result)``: the shortest wall and CPU times over ``repeats``."""
    best_wall = best_cpu = float("inf")
    out = 0
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, out
