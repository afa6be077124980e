"""Correct, with the student's own helpers: `from itertools import product` and a `canvas_length` helper sit in the conv_transpose_via_matrix cell; the scatter, transpose_as_convolution and transpose_output_shapes use them."""
EXPECT_FAILED = []

# %% conv_transpose_via_matrix
from itertools import product


def canvas_length(m, k, stride):
    """Length of the canvas the stamps of m input pixels fill."""
    return (m - 1) * stride + k


def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    c = conv_matrix(kernel, output_shape, stride, padding)
    return np.reshape(np.asarray(x, float).reshape(1, -1) @ c, output_shape)  # x^T C = (C^T x)^T


# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    h, w = output_shape
    full_h, full_w = canvas_length(m_h, kh, stride), canvas_length(m_w, kw, stride)
    top = max(full_h - h, 0) // 2 if padding == "SAME" else 0
    left = max(full_w - w, 0) // 2 if padding == "SAME" else 0
    out = np.zeros((h, w))
    for r, c, a, b in product(range(m_h), range(m_w), range(kh), range(kw)):
        i, j = r * stride + a - top, c * stride + b - left
        if 0 <= i < h and 0 <= j < w:
            out[i, j] += x[r, c] * kernel[a, b]
    return out


# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    if padding == "SAME":
        first = canvas_length(input_size, 1, stride)
    else:
        first = canvas_length(input_size, k, stride)
    return [first + extra for extra in range(stride)]


# %% transpose_as_convolution
def transpose_as_convolution(x, kernel, stride=1):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    # the stride-1 VALID output is spread - k + 1 long and must be the canvas: spread = canvas + k - 1
    spread = np.zeros((canvas_length(m_h, kh, stride) + kh - 1, canvas_length(m_w, kw, stride) + kw - 1))
    for r, c in product(range(m_h), range(m_w)):
        spread[kh - 1 + r * stride, kw - 1 + c * stride] = x[r, c]
    return spread, kernel[::-1][:, ::-1]
