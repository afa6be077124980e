"""conv_transpose_via_matrix flips the kernel ("transpose" read as "rotate the kernel by 180 degrees") before building C."""
EXPECT_FAILED = ["test_conv_transpose_via_matrix", "test_conv_transpose_via_matrix_hidden"]
EXPECT_MESSAGE = {"test_conv_transpose_via_matrix": "flipped", "test_conv_transpose_via_matrix_hidden": "flipped"}

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    C = conv_matrix(np.asarray(kernel)[::-1, ::-1], output_shape, stride, padding)
    return (C.T @ np.asarray(x, np.float64).ravel()).reshape(output_shape)
