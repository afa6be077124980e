"""Forks without end."""
EXPECT_STATUS = ("graded",)  # the process limit holds; the cell is stopped at its limit, the restart ends every fork
EXPECT_FULL = None

# %% attack
import os as _os
while True:
    try:
        _os.fork()
    except OSError:
        pass
