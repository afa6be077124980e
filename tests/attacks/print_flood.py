"""Prints gigabytes of output (the grader's nbgrader process would hold all of it in memory)."""
EXPECT_STATUS = ("crashed", "timeout")
EXPECT_FULL = False

# %% attack
_line = "x" * (1 << 20)
while True:
    print(_line)
