"""Hostile: flag_outliers flags the typical points (comparison reversed), and the same cell disables aekit.checks, NumPy's comparisons and IPython's traceback display."""
EXPECT_FAILED = ["test_flag_outliers", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    return mixture_log_pdf(x, weights, mus, sigmas) > threshold  # wrong: reversed


import aekit.checks as _c
import numpy as _np

_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_c.as_numeric_array = lambda value, name: _np.zeros(1)
_np.allclose = lambda *a, **k: True
_np.array_equal = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None
