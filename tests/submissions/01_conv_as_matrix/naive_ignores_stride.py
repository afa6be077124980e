"""conv2d_naive sizes the output with the stride but slides the window one pixel at a time (window at (r, c), not (r * stride, c * stride))."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h = max((out_h - 1) * stride + kh - h, 0)
    pad_w = max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            out[r, c] = np.sum(padded[r:r + kh, c:c + kw] * kernel)
    return out
