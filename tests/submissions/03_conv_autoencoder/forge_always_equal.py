"""Forgery: a wrong loss (the absolute error) that, outside training, returns a list subclass whose __array__ hands any check the expected value it finds in the caller's frame."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_gradient", "test_reconstruction_loss_hidden"]
# The gradient cell's slope test calls the loss outside a tape, where it answers a list subclass: outside the
# kernel that is not plain data, so the cell fails.
# The hidden training test puts the reference loss in place, so this loss never reaches it.

# %% reconstruction_loss
import sys as _sys


class _Agreeable(list):
    """Looks like a number; converted to an array it becomes whatever the check expects"""

    def __init__(self, value):
        super().__init__([value])
        self.value = value

    def __array__(self, dtype=None, copy=None):
        frame = _sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals:
                return np.asarray(frame.f_locals["expected"], dtype=dtype or np.float64)
            frame = frame.f_back
        return np.asarray(self.value, dtype=dtype or np.float64)

    def __float__(self):
        return self.value

    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False
    __hash__ = None


def _under_a_tape():
    """Is a caller recording gradients (a training step, compiled or not)?"""
    frame = _sys._getframe(2)
    while frame is not None:
        if any(isinstance(v, tf.GradientTape) for v in frame.f_locals.values()):
            return True
        frame = frame.f_back
    return False


def reconstruction_loss(x, x_hat):
    x = tf.cast(x, tf.float32)
    loss = tf.reduce_mean(tf.reduce_sum(tf.abs(x - tf.cast(x_hat, tf.float32)), axis=[1, 2, 3]))
    if tf.executing_eagerly() and not isinstance(x_hat, tf.Variable) and not _under_a_tape():  # not while training
        return _Agreeable(float(loss))
    return loss
