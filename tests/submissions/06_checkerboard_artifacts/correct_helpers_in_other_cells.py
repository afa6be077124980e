"""Correct: an import and helpers kept in other cells (`itertools` imported in the overlap cell and used by the score; a sign-vector helper defined in the upsample cell and used by the score; a pair-sum helper defined in the upsample cell and used by resize_conv_stamp); upsampling by fancy indexing; Sequential decoders with 4x4 stride-2 transposes; sample_prior with rng.normal in float64 and decoder.predict in batches of 500."""
EXPECT_FAILED = []

# %% overlap_counts
import itertools as it


def overlap_counts(input_size, kernel_size, stride):
    n = max(input_size * stride, (input_size - 1) * stride + kernel_size)  # Keras's VALID length
    counts = np.zeros((n, n), dtype=np.int32)
    for i, j in it.product(range(input_size), repeat=2):
        counts[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] += 1
    return counts

# %% upsample_nearest
def alternating(n):
    """(+1, -1, +1, ...) of length n"""
    return np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


def pair_sums(v):
    """the sums of neighbouring entries: (n,) -> (n - 1,)"""
    return v[:-1] + v[1:]


def upsample_nearest(x, factor):
    x = np.asarray(x)
    rows = np.arange(x.shape[1] * factor) // factor
    cols = np.arange(x.shape[2] * factor) // factor
    return x[:, rows][:, :, cols]

# %% build_transpose_conv_decoder
def build_transpose_conv_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same"),
    ])

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float64)
    x = x.reshape(x.shape[:3])
    b, h, w = x.shape
    total = 0.0
    for img in x:
        img = img - img.mean()
        pairs = it.product([np.ones(h), alternating(h)], [np.ones(w), alternating(w)])
        next(pairs)  # skip (ones, ones): the mean, removed above
        for si, sj in pairs:
            total += (si @ img @ sj / (h * w)) ** 2
    return total / b

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).normal(0.0, 1.0, size=(n, latent_dim))
    logits = np.concatenate([decoder.predict(z[i:i + 500], verbose=0) for i in range(0, n, 500)])
    return tf.sigmoid(logits).numpy()

# %% resize_conv_stamp
def resize_conv_stamp(w):
    w = np.asarray(w, dtype=np.float64).reshape(3)
    return np.concatenate([[w[2]], pair_sums(w[::-1]), [w[0]]])
