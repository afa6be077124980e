"""Correct, written differently: einsum for the matrix product, a scatter that loops over kernel taps and adds strided slices, sizes by brute force, a spread input from np.kron returned in a list with np.flip."""
EXPECT_FAILED = []

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    c = conv_matrix(kernel, tuple(output_shape), stride, padding)  # (m_h * m_w, H * W)
    y = np.einsum("ij,i->j", c, np.asarray(x, dtype=np.float32).reshape(-1))  # sum over output pixels of C
    return np.reshape(y, output_shape).astype(np.float32)

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    x = np.asarray(x, dtype=float)
    (m_h, m_w), (kh, kw) = x.shape, np.shape(kernel)
    h, w = output_shape
    top = left = 0
    if padding == "SAME":
        top = max((m_h - 1) * stride + kh - h, 0) // 2
        left = max((m_w - 1) * stride + kw - w, 0) // 2
    big = np.zeros((top + h + (m_h - 1) * stride + kh, left + w + (m_w - 1) * stride + kw))
    for a in range(kh):  # tap (a, b) of every stamp at once: a strided slice
        for b in range(kw):
            big[a:a + (m_h - 1) * stride + 1:stride, b:b + (m_w - 1) * stride + 1:stride] += kernel[a][b] * x
    return big[top:top + h, left:left + w]

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    found = []
    for n in range(1, 10 * (input_size + 1) * stride + k):
        if padding == "VALID" and n < k:
            continue
        if conv_output_size(n, k, stride, padding) == input_size:
            found.append(n)
    return tuple(found)

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    if padding == "VALID":
        extra = max(k - stride, 0) if output_padding is None else k - stride + output_padding
        return input_size * stride + extra
    if output_padding is None:
        return stride * input_size
    return stride * (input_size - 1) + k % 2 + output_padding


# %% transpose_as_convolution
def transpose_as_convolution(x, kernel, stride=1):
    x = np.asarray(x, dtype=np.float32)
    kh, kw = np.shape(kernel)
    one = np.zeros((stride, stride), np.float32)
    one[0, 0] = 1.0
    spread = np.kron(x, one)[:(x.shape[0] - 1) * stride + 1, :(x.shape[1] - 1) * stride + 1]  # zeros after each pixel, trimmed
    return [np.pad(spread, [(kh - 1,) * 2, (kw - 1,) * 2]), np.flip(kernel)]
