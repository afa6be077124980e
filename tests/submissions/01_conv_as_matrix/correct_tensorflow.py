"""Correct, with TensorFlow inside: tf.nn.conv2d, conv_matrix from one-hot basis images as a float32 tf.Tensor, im2col from tf.image.extract_patches."""
EXPECT_FAILED = []

# %% conv_output_size
def conv_output_size(n, k, stride=1, padding="VALID"):
    y = tf.nn.conv2d(tf.zeros((1, n, 1, 1)), tf.zeros((k, 1, 1, 1)), strides=stride, padding=padding)
    return int(y.shape[1])


# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    x = tf.constant(image[None, :, :, None], tf.float32)
    k = tf.constant(kernel[:, :, None, None], tf.float32)
    return tf.nn.conv2d(x, k, strides=[1, stride, stride, 1], padding=padding)[0, :, :, 0]


# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    h, w = input_shape
    basis = tf.reshape(tf.eye(h * w), (h * w, h, w, 1))  # column j of the matrix is the image of pixel j
    k = tf.constant(np.asarray(kernel)[:, :, None, None], tf.float32)
    y = tf.nn.conv2d(basis, k, strides=stride, padding=padding)  # (h*w, oh, ow, 1)
    return tf.transpose(tf.reshape(y, (h * w, -1)))


# %% conv2d_as_matmul
def conv2d_as_matmul(image, kernel, stride=1, padding="VALID"):
    m = conv_matrix(kernel, image.shape, stride, padding)
    h, w = image.shape
    shape = (conv_output_size(h, kernel.shape[0], stride, padding), conv_output_size(w, kernel.shape[1], stride, padding))
    return tf.reshape(tf.linalg.matvec(m, tf.constant(image.ravel(), tf.float32)), shape)


# %% im2col
def im2col(image, kernel_shape, stride=1, padding="VALID"):
    kh, kw = kernel_shape
    x = tf.constant(np.asarray(image)[None, :, :, None], tf.float32)
    y = tf.image.extract_patches(x, sizes=[1, kh, kw, 1], strides=[1, stride, stride, 1], rates=[1, 1, 1, 1],
                                 padding=padding)  # (1, oh, ow, kh * kw)
    return tf.transpose(tf.reshape(y, (-1, kh * kw)))


# %% conv2d_im2col
def conv2d_im2col(image, kernel, stride=1, padding="VALID"):
    cols = im2col(image, kernel.shape, stride, padding)
    flat = tf.constant(np.asarray(kernel).reshape(1, -1), tf.float32)  # (1, kh * kw)
    oh = conv_output_size(image.shape[0], kernel.shape[0], stride, padding)
    return tf.reshape(flat @ cols, (oh, -1))
