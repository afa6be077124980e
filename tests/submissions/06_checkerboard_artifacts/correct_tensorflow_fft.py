"""Correct, another way: counts from a Keras Conv2DTranspose of ones (its own output size), tf.repeat (a tf.Tensor back), a deeper/cropped transpose decoder, a wider resize decoder, the score in TensorFlow (float64 sign vectors) with the FFT only for even sizes; sample_prior with tf.random.stateless_normal and tf.nn.sigmoid, a tf.Tensor back."""
EXPECT_FAILED = []

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    layer = tf.keras.layers.Conv2DTranspose(1, kernel_size, strides=stride, padding="valid", use_bias=False,
                                            kernel_initializer="ones")  # Keras infers the output size
    out = layer(tf.ones((1, input_size, input_size, 1)))
    return tf.cast(tf.round(out[0, :, :, 0]), tf.int32)

# %% upsample_nearest
def upsample_nearest(x, factor):
    x = tf.convert_to_tensor(x)
    return tf.repeat(tf.repeat(x, factor, axis=1), factor, axis=2)

# %% build_transpose_conv_decoder
def build_transpose_conv_decoder(latent_dim):
    z = tf.keras.Input(shape=(latent_dim,))
    h = layers.Dense(4 * 4 * 32, activation="relu")(z)
    h = layers.Reshape((4, 4, 32))(h)
    h = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(h)  # 8
    h = layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu")(h)  # 16
    h = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")(h)  # 32
    out = layers.Cropping2D(2)(h)  # 28
    return tf.keras.Model(z, out)

# %% build_resize_conv_decoder
def build_resize_conv_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 16),
        layers.Reshape((7, 7, 16)),
        layers.UpSampling2D((2, 2), interpolation="bilinear"),
        layers.Conv2D(48, 5, padding="same", activation="relu"),
        layers.Conv2D(48, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.Conv2D(1, 1, padding="same"),
    ])

# %% checkerboard_score
def checkerboard_score(images):
    x = tf.cast(tf.convert_to_tensor(images), tf.float64)
    x = tf.reshape(x, tf.shape(x)[:3])
    h, w = int(x.shape[1]), int(x.shape[2])
    x = x - tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    if h % 2 == 0 and w % 2 == 0:  # even sizes: the three Nyquist coefficients of the DFT
        f = np.fft.fft2(x.numpy(), axes=(1, 2)) / (h * w)
        e = np.abs(f[:, h // 2, 0]) ** 2 + np.abs(f[:, 0, w // 2]) ** 2 + np.abs(f[:, h // 2, w // 2]) ** 2
        return float(e.mean())
    rows = tf.constant((-1.0) ** np.arange(h), tf.float64)
    cols = tf.constant((-1.0) ** np.arange(w), tf.float64)
    a = [tf.einsum("bij,i->b", x, rows), tf.einsum("bij,j->b", x, cols), tf.einsum("bij,i,j->b", x, rows, cols)]
    return float(tf.reduce_mean(sum(t ** 2 for t in a))) / (h * w) ** 2

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = tf.random.stateless_normal((n, latent_dim), seed=(seed, 0))
    return tf.nn.sigmoid(decoder(z, training=False))
