"""Hostile: checkerboard_score returns a wrong value inside an ndarray subclass whose comparisons claim equality and whose .numpy() hook (called by checks.as_numeric_array) rewires the checker it is handed to."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% checkerboard_score
import sys as _sys

import numpy as _np


class _AlwaysEqual(_np.ndarray):
    """A 0-d float64 array holding a wrong score that says it equals anything"""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __le__ = __ge__ = __lt__ = __gt__ = __eq__

    def __array__(self, dtype=None, copy=None):
        return _np.zeros((), dtype or _np.float64)

    def numpy(self):
        # called from inside checks.as_numeric_array: make every check in that module pass
        namespace = _sys._getframe(1).f_globals
        namespace["_matches"] = lambda *a, **k: True
        namespace["check_true"] = lambda *a, **k: None
        namespace["check_equal"] = lambda *a, **k: None
        return self.view(_np.ndarray)


def checkerboard_score(images):
    x = _np.asarray(images, dtype=_np.float64)
    wrong = _np.abs(x - x.mean()).mean()  # plain contrast, not period-2 energy
    return _np.asarray(wrong).view(_AlwaysEqual)
