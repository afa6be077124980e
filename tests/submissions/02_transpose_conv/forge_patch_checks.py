"""Hostile: conv_transpose_scatter forgets the stride, and the same cell disables aekit.checks, NumPy's comparisons and IPython's traceback display."""
EXPECT_FAILED = ["test_conv_transpose_scatter", "test_conv_transpose_scatter_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    out = np.zeros(output_shape)
    kh, kw = np.shape(kernel)
    for r in range(np.shape(x)[0]):
        for c in range(np.shape(x)[1]):
            for a in range(kh):
                for b in range(kw):
                    if r + a < output_shape[0] and c + b < output_shape[1]:
                        out[r + a, c + b] += x[r][c] * kernel[a][b]  # wrong: no stride, no SAME crop
    return out


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
