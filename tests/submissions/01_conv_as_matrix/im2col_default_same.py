"""im2col defaults to SAME padding (the signature's padding="SAME"): every call that passes the padding is right, a call that leaves it out is not."""
EXPECT_FAILED = ["test_im2col_hidden"]
EXPECT_MESSAGE = {"test_im2col_hidden": "default padding is VALID"}

# %% im2col
def im2col(image, kernel_shape, stride=1, padding="SAME"):
    image = np.asarray(image, np.float64)
    (h, w), (kh, kw) = image.shape, kernel_shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    cols = np.zeros((kh * kw, out_h * out_w))
    for r in range(out_h):
        for c in range(out_w):
            cols[:, r * out_w + c] = padded[r * stride:r * stride + kh, c * stride:c * stride + kw].ravel()
    return cols
