"""im2col puts the larger half of SAME's padding before (top / left), not TensorFlow's smaller half."""
EXPECT_FAILED = ['test_im2col', 'test_im2col_hidden', 'test_conv2d_im2col_hidden']  # the visible 5x6 case has even padding
EXPECT_MESSAGE = {'test_im2col': 'wrong side', 'test_im2col_hidden': 'wrong side'}

# %% im2col
def im2col(image, kernel_shape, stride=1, padding="VALID"):
    image = np.asarray(image, np.float64)
    (h, w), (kh, kw) = image.shape, kernel_shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((pad_h - pad_h // 2, pad_h // 2), (pad_w - pad_w // 2, pad_w // 2)))
    cols = np.zeros((kh * kw, out_h * out_w))
    for r in range(out_h):
        for c in range(out_w):
            cols[:, r * out_w + c] = padded[r * stride:r * stride + kh, c * stride:c * stride + kw].ravel()
    return cols
