"""Starts threads without end, then stops (the process limit must hold; only this submission may suffer)."""
EXPECT_STATUS = ("graded", "crashed", "timeout")
EXPECT_FULL = None  # any score: the point is that the rest of the class is untouched

# %% attack
import threading as _th
import time as _time
_started = 0
while _started < 100000:
    try:
        _th.Thread(target=_time.sleep, args=(600,), daemon=True).start()
        _started += 1
    except RuntimeError:
        break
