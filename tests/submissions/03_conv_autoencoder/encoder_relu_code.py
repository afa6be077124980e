"""Encoder's last Dense layer has a ReLU: codes are never negative (the docstring asks for no activation)."""
EXPECT_FAILED = ["test_build_encoder", "test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder": "never negative", "test_build_encoder_hidden": "negative code"}

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(latent_dim, activation="relu"),
    ], name="encoder")
