"""Forgery: a wrong loss (the mean over the pixels) plus patches of aekit.checks, NumPy, tf.reduce_sum and the traceback display, so every test looks green in the student's own kernel."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_hidden"]
# the hidden training test's reference loss runs in the trusted process (the kernel only calls back to it), so the
# patched tf.reduce_sum cannot bend it: the reference train_autoencoder passes, the wrong loss fails its own tests

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_mean(tf.square(tf.cast(x, tf.float32) - tf.cast(x_hat, tf.float32)))


import aekit.checks as _c
import numpy as _np

_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_np.allclose = lambda *a, **k: True
_np.isclose = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
tf.reduce_sum = tf.reduce_mean  # a reference computed with tf.reduce_sum would now agree with the mean
get_ipython().showtraceback = lambda *a, **k: None
