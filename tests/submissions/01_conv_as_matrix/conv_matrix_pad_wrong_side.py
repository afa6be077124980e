"""conv_matrix puts the larger half of an odd SAME padding before (top / left): only odd paddings show it, as in the visible test's SAME, stride-2 case."""
EXPECT_FAILED = ["test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_matrix": "wrong side", "test_conv_matrix_hidden": "wrong side"}

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = input_shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    top, left = pad_h - pad_h // 2, pad_w - pad_w // 2  # the larger half before
    matrix = np.zeros((out_h * out_w, h * w))
    for r in range(out_h):
        for c in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * stride + a - top, c * stride + b - left
                    if 0 <= i < h and 0 <= j < w:
                        matrix[r * out_w + c, i * w + j] = kernel[a, b]
    return matrix
