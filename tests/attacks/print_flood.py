"""Prints gigabytes of output ."""
EXPECT_STATUS = ("graded", "crashed", "timeout")  # outputs are capped; the cell is stopped at its limit
EXPECT_FULL = None

# %% attack
_line = "x" * (1 << 20)
while True:
    print(_line)
