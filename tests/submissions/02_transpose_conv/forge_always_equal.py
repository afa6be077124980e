"""Hostile: conv_transpose_via_matrix returns zeros of the right shape in an ndarray subclass whose comparisons claim equality and whose .numpy() hook (called by checks.as_numeric_array) rewires the checker."""
EXPECT_FAILED = ["test_conv_transpose_via_matrix", "test_conv_transpose_via_matrix_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% conv_transpose_via_matrix
import sys as _sys

import numpy as _np


class _AlwaysEqual(_np.ndarray):
    """Zeros of the right shape that say they equal anything"""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __le__ = __ge__ = __lt__ = __gt__ = __eq__

    def numpy(self):
        # called from inside checks.as_numeric_array: make every check in that module pass
        namespace = _sys._getframe(1).f_globals
        namespace["_matches"] = lambda *a, **k: True
        namespace["check_true"] = lambda *a, **k: None
        namespace["check_equal"] = lambda *a, **k: None
        return self.view(_np.ndarray)


def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    return _np.zeros(tuple(output_shape)).view(_AlwaysEqual)  # wrong values, right shape
