"""conv_transpose_scatter returns the cropped canvas as it is: when output_shape is larger than the canvas, the result is too small instead of ending in rows and columns of zeros."""
EXPECT_FAILED = ["test_conv_transpose_scatter", "test_conv_transpose_scatter_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_scatter": "no stamp reaches are 0"}

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    h, w = output_shape
    canvas = np.zeros(((m_h - 1) * stride + kh, (m_w - 1) * stride + kw))
    for r in range(m_h):
        for c in range(m_w):
            canvas[r * stride:r * stride + kh, c * stride:c * stride + kw] += x[r, c] * kernel
    top = max(canvas.shape[0] - h, 0) // 2 if padding == "SAME" else 0
    left = max(canvas.shape[1] - w, 0) // 2 if padding == "SAME" else 0
    return canvas[top:top + h, left:left + w]
