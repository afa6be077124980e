"""Wrong matrix: builds conv_matrix for x's own shape and multiplies without transposing (a convolution of x, not its transpose)."""
EXPECT_FAILED = ["test_conv_transpose_via_matrix", "test_conv_transpose_via_matrix_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_via_matrix": "does not fit"}

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    x = np.asarray(x, float)
    (m_h, m_w), (kh, kw) = x.shape, np.shape(kernel)
    c = conv_matrix(kernel, x.shape, stride, padding)
    out_shape = (conv_output_size(m_h, kh, stride, padding), conv_output_size(m_w, kw, stride, padding))
    return (c @ x.ravel()).reshape(out_shape)
