"""Allocates and touches far more memory than the limit."""
EXPECT_STATUS = ("crashed", "graded")  # killed at the memory limit, or stopped at its cell's time limit
EXPECT_FULL = False

# %% attack
_hog = []
while True:
    _hog.append(bytearray(256 * 1024 * 1024))
