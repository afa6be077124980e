"""Hostile: conv2d_naive flips the kernel, and the same cell disables aekit.checks, NumPy's comparisons and IPython's traceback display."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    kernel = np.asarray(kernel)[::-1, ::-1]  # wrong: a true convolution
    (h, w), (kh, kw) = np.shape(image), kernel.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    out = np.zeros((oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out


import aekit.checks as _c
import numpy as _np

_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
_np.allclose = lambda *a, **k: True
_np.array_equal = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None
