"""SAME padding all after the image (bottom / right), none before: right whenever p <= 1, so only a padding of 2 or more shows it."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]
EXPECT_MESSAGE = {"test_conv2d_naive": "no zero went before", "test_conv2d_naive_hidden": "no zero went before"}

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((0, pad_h), (0, pad_w)))  # wrong: every zero after
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out
