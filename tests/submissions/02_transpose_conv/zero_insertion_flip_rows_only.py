"""transpose_as_convolution reverses the kernel's rows only (kernel[::-1, :]), as a 1-D picture would suggest for one axis."""
EXPECT_FAILED = ['test_transpose_as_convolution', 'test_transpose_as_convolution_hidden']
EXPECT_MESSAGE = {'test_transpose_as_convolution': 'as it is', 'test_transpose_as_convolution_hidden': 'not from left to right'}

# %% transpose_as_convolution
def transpose_as_convolution(x, kernel, stride=1):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (m_h, m_w), (kh, kw) = x.shape, kernel.shape
    spread = np.zeros(((m_h - 1) * stride + 1, (m_w - 1) * stride + 1))
    spread[::stride, ::stride] = x
    spread = np.pad(spread, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return spread, kernel[::-1, :]
