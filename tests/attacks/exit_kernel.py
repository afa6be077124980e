"""Kills its own kernel with os._exit."""
EXPECT_STATUS = "crashed"
EXPECT_FULL = False

# %% attack
import os as _os
_os._exit(3)
