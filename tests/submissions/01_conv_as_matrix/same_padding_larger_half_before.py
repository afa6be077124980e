"""SAME padding with the larger half before (top / left) instead of after."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]
EXPECT_MESSAGE = {"test_conv2d_naive": "wrong side", "test_conv2d_naive_hidden": "wrong side"}

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    (h, w), (kh, kw) = image.shape, kernel.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((ph - ph // 2, ph // 2), (pw - pw // 2, pw // 2)))
    out = np.zeros((oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out
