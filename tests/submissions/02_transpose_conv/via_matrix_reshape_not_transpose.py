"""No transpose: the convolution matrix is reshaped to (H * W, m_h * m_w) instead of transposed."""
EXPECT_FAILED = ["test_conv_transpose_via_matrix", "test_conv_transpose_via_matrix_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_via_matrix": "not transposed", "test_conv_transpose_via_matrix_hidden": "not transposed"}

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    h, w = output_shape
    c = conv_matrix(kernel, output_shape, stride, padding)
    return (c.reshape(h * w, -1) @ np.ravel(x)).reshape(h, w)  # "the (H*W, m) matrix"
