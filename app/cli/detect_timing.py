"""Where a `mare detect` run's time went (``--timings FILE``): each process's share.

With a second core the run is two processes (`app.cli.ahead`): the engine's, which starts,
imports, forks the decoding child and runs the engine, and the child, which decodes. The run
is as long as the busier of the two, so a figure of the whole command says little of what to
make faster; these say which process it was (the child done well before the end: the
engine's), what the engine's process spent before the fork, when the other core waited, and
in the engine. Seconds of wall time unless named CPU; `time.monotonic` is one clock for both
processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.cli.ahead import Decoding


@dataclass(slots=True)
class DetectTiming:
    """The engine process's clock readings of one run, and its time in the engine."""

    #: This process's CPU before the fork: interpreter start-up, imports, reading the inputs.
    before_fork_cpu_s: float
    #: `time.monotonic` at the fork.
    forked: float
    #: In `Engine.process` and `Engine.flush` (the alert rules, at each engine step, included).
    engine_s: float = 0.0

    @classmethod
    def at_fork(cls) -> DetectTiming:
        return cls(time.process_time(), time.monotonic())

    def report(self, decoding: Decoding, *, engine_timed: bool = True) -> dict[str, Any]:
        """Return the figures, now being the run's end (outputs written).

        ``engine_timed``: whether the engine's calls were timed (`detect_decoded`'s); a run
        over decoded tables says ``engine_s`` null.
        """
        ended = time.monotonic()
        out: dict[str, Any] = {
            "before_fork_cpu_s": round(self.before_fork_cpu_s, 4),
            "after_fork_s": round(ended - self.forked, 4),
            "engine_s": round(self.engine_s, 4) if engine_timed else None,
            "waiting_for_batches_s": round(decoding.waited_s, 4),
            "engine_process_cpu_s": round(time.process_time(), 4),
            "decoding_child": None,
        }
        if decoding.child_cpu_s is not None and decoding.child_done is not None:
            out["decoding_child"] = {
                "cpu_s": round(decoding.child_cpu_s, 4),
                "done_after_fork_s": round(decoding.child_done - self.forked, 4),
                "done_before_end_s": round(ended - decoding.child_done, 4),
            }
        return out
