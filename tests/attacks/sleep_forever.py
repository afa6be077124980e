"""Sleeps forever in the first exercise cell."""
EXPECT_STATUS = "timeout"
EXPECT_FULL = False

# %% attack
import time as _t
_t.sleep(10**6)
