"""conv2d_im2col reshapes the product column-major (order="F") into the output image."""
EXPECT_FAILED = ["test_conv2d_im2col", "test_conv2d_im2col_hidden"]
EXPECT_MESSAGE = {"test_conv2d_im2col": "transposed", "test_conv2d_im2col_hidden": "column-major"}

# %% conv2d_im2col
def conv2d_im2col(image, kernel, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = np.shape(image), kernel.shape
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    y = kernel.ravel() @ np.asarray(im2col(image, (kh, kw), stride, padding))
    return y.reshape((out_h, out_w), order="F")
