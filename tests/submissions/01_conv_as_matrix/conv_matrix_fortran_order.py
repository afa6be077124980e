"""conv_matrix with column-major (Fortran) flattening of the input and output pixels."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix": "column-major", "test_conv_matrix_hidden": "column-major"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    (h, w), (kh, kw) = input_shape, kernel.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    top = max((oh - 1) * stride + kh - h, 0) // 2
    left = max((ow - 1) * stride + kw - w, 0) // 2
    m = np.zeros((oh * ow, h * w))
    for r in range(oh):
        for c in range(ow):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * stride + a - top, c * stride + b - left
                    if 0 <= i < h and 0 <= j < w:
                        m[c * oh + r, j * h + i] = kernel[a, b]  # column-major indices
    return m
