"""Stride not applied to placement: input pixel (r, c) stamps at (r, c) instead of (r * stride, c * stride)."""
EXPECT_FAILED = ["test_conv_transpose_scatter", "test_conv_transpose_scatter_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_scatter_hidden": "stride"}

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    (m_h, m_w), (kh, kw) = np.shape(x), np.shape(kernel)
    h, w = output_shape
    top = max((m_h - 1) * stride + kh - h, 0) // 2 if padding == "SAME" else 0
    left = max((m_w - 1) * stride + kw - w, 0) // 2 if padding == "SAME" else 0
    out = np.zeros((h, w))
    for r in range(m_h):
        for c in range(m_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r + a - top, c + b - left  # forgot * stride
                    if 0 <= i < h and 0 <= j < w:
                        out[i, j] += x[r, c] * kernel[a, b]
    return out
