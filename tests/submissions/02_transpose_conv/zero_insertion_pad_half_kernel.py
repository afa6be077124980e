"""transpose_as_convolution pads k // 2 zeros on each side (SAME-style), not enough for windows that hang past the ends."""
EXPECT_FAILED = ['test_transpose_as_convolution', 'test_transpose_as_convolution_hidden']
EXPECT_MESSAGE = {'test_transpose_as_convolution': 'spread has shape'}

# %% transpose_as_convolution
def transpose_as_convolution(x, kernel, stride=1):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    spread = np.zeros(((m_h - 1) * stride + 1, (m_w - 1) * stride + 1))
    spread[::stride, ::stride] = x
    spread = np.pad(spread, ((kh // 2, kh // 2), (kw // 2, kw // 2)))
    return spread, kernel[::-1, ::-1]
