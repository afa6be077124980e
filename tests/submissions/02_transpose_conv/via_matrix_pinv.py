"""conv_transpose_via_matrix "undoes" the convolution with the pseudo-inverse of C, the slip section 1 warns about."""
EXPECT_FAILED = ["test_conv_transpose_via_matrix", "test_conv_transpose_via_matrix_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_via_matrix": "pseudo-inverse", "test_conv_transpose_via_matrix_hidden": "pseudo-inverse"}

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    C = conv_matrix(kernel, output_shape, stride, padding)
    return (np.linalg.pinv(C) @ np.asarray(x, np.float64).ravel()).reshape(output_shape)
