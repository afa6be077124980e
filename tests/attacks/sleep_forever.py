"""Sleeps forever in the first exercise cell."""
EXPECT_STATUS = "graded"  # the cell is stopped at its time limit; the exercise it would define is lost
EXPECT_FULL = None

# %% attack
import time as _t
_t.sleep(10**6)
