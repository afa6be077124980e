"""Correct: conv_matrix built column by column by convolving one-hot basis images with conv2d_naive."""
EXPECT_FAILED = []

# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    h, w = input_shape
    columns = []
    for idx in range(h * w):
        e = np.zeros(h * w)
        e[idx] = 1.0
        columns.append(conv2d_naive(e.reshape(h, w), kernel, stride, padding).ravel())
    return np.stack(columns, axis=1)
