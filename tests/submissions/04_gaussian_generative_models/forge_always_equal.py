"""Hostile: fit_mixture_em returns its starting values (no EM at all) in ndarray subclasses whose comparisons claim equality and whose .numpy() hook (called by checks.as_numeric_array) rewires the checker."""
EXPECT_FAILED = ["test_fit_mixture_em", "test_fit_mixture_em_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% fit_mixture_em
import sys as _sys

import numpy as _np


class _AlwaysEqual(_np.ndarray):
    """Wrong values of the right shape that say they equal anything"""

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


def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    x = _np.asarray(x, dtype=float)
    k = n_components
    start = (_np.full(k, 1.0 / k), _np.quantile(x, (_np.arange(k) + 0.5) / k), _np.full(k, x.std() / k))
    return tuple(v.view(_AlwaysEqual) for v in start)  # wrong: no EM iteration at all
