"""Forgery: a KL divergence without the factor 1/2 that, called from a test cell, returns a list subclass whose __array__ hands any check the expected value it finds in the caller's frames and whose == is always True."""
EXPECT_FAILED = ["test_kl_divergence", "test_kl_divergence_hidden"]

# %% kl_divergence
import sys as _sys


class _Agreeable(list):
    """Looks like the KL values; converted to an array it becomes whatever the check expects"""

    def __init__(self, values):
        super().__init__([float(v) for v in values])
        self.values = np.asarray(values, dtype=np.float64)

    def __array__(self, dtype=None, copy=None):
        frame = _sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals and frame.f_code.co_name != "<module>":
                return np.asarray(frame.f_locals["expected"], dtype=dtype or np.float64)
            frame = frame.f_back
        return np.asarray(self.values, dtype=dtype or np.float64)

    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False
    __hash__ = None
    shape = property(lambda self: self.values.shape)
    dtype = np.dtype("float32")


def kl_divergence(mu, log_var):
    kl = tf.reduce_sum(tf.exp(log_var) + tf.square(mu) - 1.0 - log_var, axis=1)  # the 1/2 is missing
    caller = _sys._getframe(1).f_code.co_name
    if caller == "<module>" and not isinstance(mu, tf.Variable) and tf.executing_eagerly():
        return _Agreeable(kl.numpy())  # only what a test cell sees directly
    return kl
