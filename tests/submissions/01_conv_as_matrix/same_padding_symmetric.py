"""SAME padding done symmetrically, k // 2 zeros on every side (PyTorch's habit), output size from that."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]
EXPECT_MESSAGE = {"test_conv2d_naive_hidden": "symmetric"}

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    (h, w), (kh, kw) = image.shape, kernel.shape
    ph, pw = (kh // 2, kw // 2) if padding == "SAME" else (0, 0)
    padded = np.pad(image, ((ph, ph), (pw, pw)))
    oh, ow = (padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1
    out = np.zeros((oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out
