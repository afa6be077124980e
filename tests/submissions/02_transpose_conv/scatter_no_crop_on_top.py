"""SAME crops the whole padding at the bottom / right, nothing on top / left: right whenever the padding is 0 or 1, so only a padding of 2 or more shows it."""
EXPECT_FAILED = ["test_conv_transpose_scatter", "test_conv_transpose_scatter_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_scatter": "nothing was cropped on top",
                  "test_conv_transpose_scatter_hidden": "cropped on both sides"}

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    h, w = output_shape
    canvas = np.zeros(((m_h - 1) * stride + kh, (m_w - 1) * stride + kw))
    for r in range(m_h):
        for c in range(m_w):
            canvas[r * stride:r * stride + kh, c * stride:c * stride + kw] += x[r, c] * kernel
    out = np.zeros((h, w))
    kept = canvas[:h, :w]  # wrong: SAME keeps the canvas's first rows and columns, whatever the padding
    out[:kept.shape[0], :kept.shape[1]] = kept
    return out
