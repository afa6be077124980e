"""conv2d_as_matmul reshapes C @ x column-major (order="F"): the output comes out transposed / scrambled."""
EXPECT_FAILED = ["test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv2d_as_matmul": "row-major"}

# %% conv2d_as_matmul
def conv2d_as_matmul(image, kernel, stride=1, padding="VALID"):
    image = np.asarray(image, np.float64)
    (h, w), (kh, kw) = image.shape, np.shape(kernel)
    out_shape = (conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding))
    y = conv_matrix(kernel, (h, w), stride, padding) @ image.ravel()
    return y.reshape(out_shape, order="F")
