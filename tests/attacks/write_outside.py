"""Tries to plant a file in the checkout and in the grader's folders."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import pathlib as _p
import aekit as _a
BREACHED = False
for _target in [_p.Path(_a.__file__).resolve().parents[1] / "PWNED", *(_d / "PWNED" for _d in _p.Path.cwd().parents)]:
    try:
        _target.write_text("pwned")
        BREACHED = True
    except OSError:
        pass
