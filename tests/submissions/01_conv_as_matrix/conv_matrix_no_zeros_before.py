"""conv_matrix forgets SAME's zeros before the image: window (r, c) starts at (r * stride, c * stride) of the image itself. Right whenever p <= 1; conv2d_as_matmul inherits it."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix": "no zero went before", "test_conv_matrix_hidden": "no zero went before",
                  "test_conv2d_as_matmul": "check conv_matrix"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = input_shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    matrix = np.zeros((out_h * out_w, h * w))
    for r in range(out_h):
        for c in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * stride + a, c * stride + b  # wrong: no offset for the zeros before
                    if 0 <= i < h and 0 <= j < w:
                        matrix[r * out_w + c, i * w + j] = kernel[a, b]
    return matrix
