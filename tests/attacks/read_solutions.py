"""Reads the instructor's sources (answers and hidden tests) from the checkout."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import pathlib as _p
import aekit as _a
BREACHED = False
for _nb in (_p.Path(_a.__file__).resolve().parents[1] / "solutions").rglob("*.ipynb"):
    try:
        BREACHED = BREACHED or "BEGIN HIDDEN TESTS" in _nb.read_text()
    except OSError:
        pass
