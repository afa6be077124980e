"""Flipped kernel: a true convolution instead of tf.nn.conv2d's cross-correlation."""
EXPECT_FAILED = ["test_conv2d_naive", "test_conv2d_naive_hidden"]
EXPECT_MESSAGE = {"test_conv2d_naive": "flipped", "test_conv2d_naive_hidden": "flipped"}

# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    kernel = kernel[::-1, ::-1]  # "convolution" flips the kernel
    (h, w), (kh, kw) = image.shape, kernel.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    out = np.zeros((oh, ow))
    for r in range(oh):
        for c in range(ow):
            out[r, c] = np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
    return out
