"""SAME crop on the wrong side: the larger half of the padding is cropped on top / left."""
EXPECT_FAILED = ["test_conv_transpose_scatter", "test_conv_transpose_scatter_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_scatter": "wrong side", "test_conv_transpose_scatter_hidden": "wrong side"}

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    h, w = output_shape
    canvas = np.zeros(((m_h - 1) * stride + kh, (m_w - 1) * stride + kw))
    for r in range(m_h):
        for c in range(m_w):
            canvas[r * stride:r * stride + kh, c * stride:c * stride + kw] += x[r, c] * kernel
    pad_h, pad_w = max(canvas.shape[0] - h, 0), max(canvas.shape[1] - w, 0)
    top = pad_h - pad_h // 2 if padding == "SAME" else 0  # wrong: the larger half first
    left = pad_w - pad_w // 2 if padding == "SAME" else 0
    out = np.zeros((h, w))
    kept = canvas[top:top + h, left:left + w]
    out[:kept.shape[0], :kept.shape[1]] = kept
    return out
