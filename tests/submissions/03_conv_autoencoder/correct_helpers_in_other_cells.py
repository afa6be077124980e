"""Correct: an import and helper functions kept in other cells (a `kl` layers alias imported in the encoder cell and used by the decoder; a batching helper defined in the loss cell and used by the training loop); a decoder designed from a 4x4 start (VALID 4x4 transpose to 7x7, then two stride-2 ones); shuffled index batches with a weighted epoch mean."""
EXPECT_FAILED = []

# %% build_encoder
from tensorflow.keras import layers as kl


def down(filters):
    """A stride-2 SAME convolution: n -> ceil(n / 2)"""
    return kl.Conv2D(filters, 4, strides=2, padding="same", activation="relu")


def build_encoder(latent_dim):
    x = tf.keras.Input(shape=(28, 28, 1))
    h = down(16)(x)                       # (B, 14, 14, 16)
    h = down(32)(h)                       # (B, 7, 7, 32)
    h = kl.Conv2D(32, 3, strides=2)(h)    # VALID: (B, 3, 3, 32)
    return tf.keras.Model(x, kl.Dense(latent_dim)(kl.Flatten()(h)), name="encoder")

# %% build_decoder
def up(filters, activation="relu"):
    """A stride-2 SAME transpose convolution: n -> 2n"""
    return kl.Conv2DTranspose(filters, 4, strides=2, padding="same", activation=activation)


def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        kl.Dense(4 * 4 * 32, activation="relu"),
        kl.Reshape((4, 4, 32)),                                 # (B, 4, 4, 32)
        kl.Conv2DTranspose(32, 4, activation="relu"),           # VALID: (4 - 1) + 4 = 7
        up(16),                                                 # (B, 14, 14, 16)
        up(1, activation="sigmoid"),                            # (B, 28, 28, 1)
    ], name="decoder")

# %% reconstruction_loss
def index_batches(n, size, rng):
    """Shuffled index arrays covering range(n), the last one possibly shorter"""
    order = rng.permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]


def reconstruction_loss(x, x_hat):
    d = tf.cast(x, tf.float32) - tf.cast(x_hat, tf.float32)
    return tf.reduce_mean(tf.einsum("bhwc,bhwc->b", d, d))

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    rng = np.random.default_rng(7)
    adam = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    params = [*encoder.trainable_variables, *decoder.trainable_variables]
    out = []
    for _ in range(epochs):
        weighted, seen = 0.0, 0
        for idx in index_batches(len(images), batch_size, rng):
            batch = tf.constant(images[idx])
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch, training=True), training=True))
            adam.apply_gradients(zip(tape.gradient(loss, params), params))
            weighted += float(loss) * len(idx)
            seen += len(idx)
        out.append(weighted / seen)
    return out
