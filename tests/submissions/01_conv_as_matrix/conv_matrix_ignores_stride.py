"""conv_matrix that places the kernel at every position: the stride is ignored."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix": "expected (4, 16)", "test_conv_matrix_hidden": "stride is ignored"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    (h, w), (kh, kw) = input_shape, kernel.shape
    oh, ow = conv_output_size(h, kh, 1, padding), conv_output_size(w, kw, 1, padding)
    top = max((oh - 1) + kh - h, 0) // 2
    left = max((ow - 1) + kw - w, 0) // 2
    m = np.zeros((oh * ow, h * w))
    for r in range(oh):
        for c in range(ow):
            for a in range(kh):
                for b in range(kw):
                    i, j = r + a - top, c + b - left
                    if 0 <= i < h and 0 <= j < w:
                        m[r * ow + c, i * w + j] = kernel[a, b]
    return m
