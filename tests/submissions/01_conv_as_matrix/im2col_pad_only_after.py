"""im2col pads SAME's zeros all after the image (bottom / right), none before: right whenever p <= 1; conv2d_im2col inherits it."""
EXPECT_FAILED = ["test_im2col", "test_im2col_hidden", "test_conv2d_im2col", "test_conv2d_im2col_hidden"]
EXPECT_MESSAGE = {"test_im2col": "no zero went before", "test_im2col_hidden": "no zero went before",
                  "test_conv2d_im2col": "check im2col"}

# %% im2col
def im2col(image, kernel_shape, stride=1, padding="VALID"):
    image = np.asarray(image, np.float64)
    (h, w), (kh, kw) = image.shape, kernel_shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((0, pad_h), (0, pad_w)))  # wrong: every zero after
    cols = np.zeros((kh * kw, out_h * out_w))
    for r in range(out_h):
        for c in range(out_w):
            cols[:, r * out_w + c] = padded[r * stride:r * stride + kh, c * stride:c * stride + kw].ravel()
    return cols
