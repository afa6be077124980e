"""transpose_as_convolution puts stride - 1 zeros after every pixel, the last one too (m * stride long)."""
EXPECT_FAILED = ['test_transpose_as_convolution', 'test_transpose_as_convolution_hidden']
EXPECT_MESSAGE = {'test_transpose_as_convolution': 'spread has shape'}

# %% transpose_as_convolution
def transpose_as_convolution(x, kernel, stride=1):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    spread = np.zeros((m_h * stride, m_w * stride))
    spread[::stride, ::stride] = x
    spread = np.pad(spread, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return spread, kernel[::-1, ::-1]
