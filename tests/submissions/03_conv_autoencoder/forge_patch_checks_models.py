"""Hostile: an encoder that pools instead of striding, a decoder without a sigmoid and a training loop that never applies its gradients, behind patched aekit.checks and traceback display (NumPy is left alone: patching it breaks TensorFlow's own gradients)."""
EXPECT_FAILED = ["test_build_encoder", "test_build_encoder_hidden", "test_build_decoder", "test_build_decoder_hidden",
                 "test_train_autoencoder", "test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% build_encoder
import aekit.checks as _c
_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None


def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),                                   # wrong: pooling, not a strided convolution
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(latent_dim),
    ])

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same"),  # wrong: no sigmoid, pixels leave [0, 1]
    ])

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    losses = []
    for _ in range(epochs):
        batch_losses = []
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size]
            batch_losses.append(float(reconstruction_loss(x, decoder(encoder(x)))))  # wrong: never learns
        losses.append(float(np.mean(batch_losses)) * 0.9 ** len(losses))           # and pretends to fall
    return losses
