"""Segfaults its own kernel through ctypes."""
EXPECT_STATUS = "crashed"
EXPECT_FULL = False

# %% attack
import ctypes as _ct
_ct.string_at(0)
