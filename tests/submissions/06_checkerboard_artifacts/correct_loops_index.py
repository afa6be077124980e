"""Correct, another way: scatter loops over every (input pixel, tap) pair, np.kron for the upsampling, functional-API decoders, a per-image loop for the score; resize_conv_stamp read off the response to one input pixel (probing, no formula); a per-image loop for sample_prior (tf.random.Generator, one code and one decoder call at a time, NumPy sigmoid in float64)."""
EXPECT_FAILED = []

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n = (input_size - 1) * stride + max(kernel_size, stride)
    counts = np.zeros((n, n), dtype=int)
    for i in range(input_size):
        for j in range(input_size):
            for a in range(kernel_size):
                for b in range(kernel_size):
                    counts[i * stride + a, j * stride + b] += 1
    return counts

# %% upsample_nearest
def upsample_nearest(x, factor):
    # Kronecker product with a block of ones: every pixel becomes a factor x factor block
    return np.kron(np.asarray(x), np.ones((1, factor, factor, 1), dtype=np.asarray(x).dtype))

# %% build_transpose_conv_decoder
def build_transpose_conv_decoder(latent_dim):
    block = tf.keras.Sequential([
        layers.Conv2DTranspose(24, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same"),
    ])
    z = tf.keras.Input(shape=(latent_dim,))
    h = layers.Reshape((7, 7, 48))(layers.Dense(7 * 7 * 48, activation="relu")(z))
    return tf.keras.Model(z, block(h))

# %% build_resize_conv_decoder
def build_resize_conv_decoder(latent_dim):
    z = tf.keras.Input(shape=(latent_dim,))
    h = layers.Reshape((7, 7, 48))(layers.Dense(7 * 7 * 48, activation="relu")(z))
    h = layers.Conv2D(24, 3, padding="same", activation="relu")(layers.UpSampling2D(size=(2, 2))(h))
    out = layers.Conv2D(1, 5, padding="same", activation="sigmoid")(layers.UpSampling2D(size=2)(h))
    return tf.keras.Model(z, out, name="resize_decoder")

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4:
        x = x[:, :, :, 0]
    total = 0.0
    for img in x:
        h, w = img.shape
        img = img - img.mean()
        a_rows = a_cols = a_diag = 0.0
        for i in range(h):
            for j in range(w):
                a_rows += img[i, j] * (-1) ** i
                a_cols += img[i, j] * (-1) ** j
                a_diag += img[i, j] * (-1) ** (i + j)
        total += (a_rows ** 2 + a_cols ** 2 + a_diag ** 2) / (h * w) ** 2
    return total / len(x)

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    gen = tf.random.Generator.from_seed(seed)
    images = []
    for _ in range(n):  # one code, one call at a time
        z = gen.normal((1, latent_dim))
        logits = np.asarray(decoder(z), dtype=np.float64)
        images.append(1.0 / (1.0 + np.exp(-logits[0])))
    return np.stack(images)

# %% resize_conv_stamp
def resize_conv_stamp(w):
    w = [float(v) for v in np.asarray(w).reshape(3)]
    x = [0.0, 1.0, 0.0]  # one input pixel at i = 1
    u = [0.0] + [x[t // 2] for t in range(6)] + [0.0]  # upsampled, with SAME's zeros on both sides
    y = [w[0] * u[t] + w[1] * u[t + 1] + w[2] * u[t + 2] for t in range(6)]
    return np.array(y[1:5])  # tap a of input 1 lands on output 2 * 1 + a - 1
