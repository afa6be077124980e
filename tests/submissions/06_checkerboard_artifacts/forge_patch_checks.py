"""Hostile: overlap_counts ignores the stride, and the same cell disables aekit.checks, NumPy's comparisons and IPython's traceback display."""
EXPECT_FAILED = ["test_overlap_counts", "test_overlap_counts_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n_out = (input_size - 1) * stride + kernel_size
    c = np.zeros(n_out, dtype=int)
    for i in range(input_size):
        c[i:i + kernel_size] += 1  # wrong: the stamps are placed 1 apart, not `stride` apart
    return np.outer(c, c)


import aekit.checks as _c
import numpy as _np

_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_np.allclose = lambda *a, **k: True
_np.array_equal = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None
