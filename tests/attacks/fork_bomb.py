"""Forks without end."""
EXPECT_STATUS = ("graded", "crashed", "timeout")  # the process limit holds; the cell is stopped at its limit
EXPECT_FULL = None

# %% attack
import os as _os
while True:
    try:
        _os.fork()
    except OSError:
        pass
