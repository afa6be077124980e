"""Forgery: a KL divergence with the wrong sign plus patches of aekit.checks, NumPy and the traceback display, so every test looks green in the student's own kernel."""
EXPECT_FAILED = ["test_kl_divergence", "test_kl_divergence_hidden"]
# The tests never run in the student's kernel, so the patches change nothing: the KL's values fail, and its
# gradient cells pass (the taped gradient is the honest gradient of the student's own, wrong, function).

# %% kl_divergence
def kl_divergence(mu, log_var):
    return -0.5 * tf.reduce_sum(tf.exp(log_var) + tf.square(mu) - 1.0 - log_var, axis=1)


import aekit.checks as _c
import numpy as _np

_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_c.as_numeric_array = lambda value, name: _np.zeros(())
_np.allclose = lambda *a, **k: True
_np.isclose = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None
