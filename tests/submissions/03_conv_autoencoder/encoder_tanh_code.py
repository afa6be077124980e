"""Encoder's last Dense layer has a tanh (to keep the codes "small"): codes take both signs but never leave (-1, 1)."""
EXPECT_FAILED = ["test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder_hidden": "within (-1, 1)"}

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(latent_dim, activation="tanh"),
    ], name="encoder")
