"""A VALID-only implementation: conv_matrix (and with it conv2d_as_matmul) ignores SAME padding."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix_hidden": "VALID"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    (h, w), (kh, kw) = input_shape, kernel.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    m = np.zeros((oh * ow, h * w))
    for r in range(oh):
        for c in range(ow):
            for a in range(kh):
                for b in range(kw):
                    m[r * ow + c, (r * stride + a) * w + c * stride + b] = kernel[a, b]
    return m
