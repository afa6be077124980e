"""How long an explorer's slider moves take to redraw, held to the README's target (Measured: median
< 150 ms per move, measured there in Chromium by bench/user_speed.py).

Here the clock is the test process's CPU time, not the wall clock: the machine that runs the suite
is shared (two cores, many workers), and waiting for a core is not the explorer's cost. A redraw
that does more work than the target allows fails on any machine.
"""

from __future__ import annotations

import contextlib
import statistics
import time

TARGET_SECONDS = 0.150  # the README's median target per slider move


class RedrawClock:
    """The CPU seconds of each move timed with `move()`;
    `assert_within_target()` checks their median."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    @contextlib.contextmanager
    def move(self):
        start = time.process_time()
        yield
        self.seconds.append(time.process_time() - start)

    def assert_within_target(self, moves: int) -> None:
        assert len(self.seconds) == moves, f"{len(self.seconds)} moves timed, {moves} made"
        median = statistics.median(self.seconds)
        assert median < TARGET_SECONDS, (
            f"median redraw {1000 * median:.0f} ms of CPU (target {1000 * TARGET_SECONDS:.0f} ms): "
            + ", ".join(f"{1000 * s:.0f}" for s in self.seconds)
        )
