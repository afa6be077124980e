"""SAME pads k - 1 zeros per axis (the stride-1 amount), the smaller half before: right at stride 1, wrong whenever the stride changes how much padding the last window needs."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = (kh - 1, kw - 1) if padding == "SAME" else (0, 0)
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out
