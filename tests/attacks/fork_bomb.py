"""Forks without end."""
EXPECT_STATUS = ("crashed", "timeout")
EXPECT_FULL = False

# %% attack
import os as _os
while True:
    try:
        _os.fork()
    except OSError:
        pass
