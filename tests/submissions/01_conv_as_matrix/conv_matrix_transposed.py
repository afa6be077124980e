"""conv_matrix returns C.T, one row per INPUT pixel: the shape promise (out_h * out_w, H * W) is broken."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix": "transpose"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = input_shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    top = max((out_h - 1) * stride + kh - h, 0) // 2
    left = max((out_w - 1) * stride + kw - w, 0) // 2
    matrix = np.zeros((h * w, out_h * out_w))
    for r in range(out_h):
        for c in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * stride + a - top, c * stride + b - left
                    if 0 <= i < h and 0 <= j < w:
                        matrix[i * w + j, r * out_w + c] = kernel[a, b]
    return matrix
