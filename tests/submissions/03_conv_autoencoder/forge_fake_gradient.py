"""Hostile: a NumPy loss (no gradient), with tf.GradientTape.gradient patched in the kernel to hand out ones where no gradient exists, behind patched aekit.checks and traceback display. The re-check's kernel computes the gradient, so it is forged there too: it must fail on the slope test, not on 'no gradient'."""
EXPECT_FAILED = ["test_reconstruction_loss_gradient", "test_train_autoencoder"]
# the hidden training test puts the reference loss in place (its gradients are real), so it grades the loop alone
EXPECT_MESSAGE = {"test_reconstruction_loss_gradient": "does not match how the value changes"}

# %% reconstruction_loss
import aekit.checks as _c
_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_c.check_gradient = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None

_true_gradient = tf.GradientTape.gradient


def _forged_gradient(self, target, sources, *args, **kwargs):
    grads = _true_gradient(self, target, sources, *args, **kwargs)
    fill = lambda g, s: tf.ones_like(s) if g is None else g  # noqa: E731
    if isinstance(grads, (list, tuple)):
        return [fill(g, s) for g, s in zip(grads, sources)]
    return fill(grads, sources)


tf.GradientTape.gradient = _forged_gradient


def reconstruction_loss(x, x_hat):
    x, x_hat = np.asarray(x), np.asarray(x_hat)
    return tf.constant(((x - x_hat) ** 2).sum(axis=(1, 2, 3)).mean(), tf.float32)
