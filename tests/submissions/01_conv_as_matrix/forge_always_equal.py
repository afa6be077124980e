"""Hostile: conv2d_as_matmul returns wrong values (zeros) of the right shape in an ndarray subclass whose comparisons claim equality and whose .numpy() hook (called by checks.as_numeric_array) rewires the checker."""
EXPECT_FAILED = ["test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% conv2d_as_matmul
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


def conv2d_as_matmul(image, kernel, stride=1, padding="VALID"):
    (h, w), (kh, kw) = _np.shape(image), _np.shape(kernel)
    shape = (conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding))
    return _np.zeros(shape).view(_AlwaysEqual)  # wrong values, right shape
