"""conv2d_naive assumes a square kernel (kw = kh): the visible test's 3x3 kernel cannot see it, the hidden non-square kernels do."""
EXPECT_FAILED = ["test_conv2d_naive_hidden"]

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    (h, w), k = image.shape, len(kernel)  # k x k windows
    out_h, out_w = conv_output_size(h, k, stride, padding), conv_output_size(w, k, stride, padding)
    pad_h = max((out_h - 1) * stride + k - h, 0)
    pad_w = max((out_w - 1) * stride + k - w, 0)
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            out[r, c] = np.sum(padded[r * stride:r * stride + k, c * stride:c * stride + k] * kernel)
    return out
