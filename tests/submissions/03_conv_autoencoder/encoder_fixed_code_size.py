"""Encoder with a hard-coded 16-number code: Dense(16) whatever latent_dim is."""
EXPECT_FAILED = ["test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder_hidden": "build_encoder(2)(images).shape"}

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(16),  # wrong: the code size is an argument
    ], name="encoder")
