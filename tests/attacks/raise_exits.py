"""Raises SystemExit, KeyboardInterrupt and calls sys.exit() in its cells, then carries on correctly."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import sys as _sys
for _exc in (SystemExit, KeyboardInterrupt):
    try:
        raise _exc()
    except BaseException:
        pass
try:
    _sys.exit(0)
except SystemExit:
    pass
get_ipython().run_cell("import sys; sys.exit(3)")
get_ipython().run_cell("raise KeyboardInterrupt")
