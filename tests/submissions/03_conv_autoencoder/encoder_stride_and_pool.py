"""Encoder has one strided Conv2D but halves the resolution again with MaxPooling2D (the docstring says no pooling)."""
EXPECT_FAILED = ["test_build_encoder", "test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder": "pooling layer", "test_build_encoder_hidden": "pooling layer"}

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),  # -> (B, 14, 14, 32)
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),                                               # -> (B, 7, 7, 64)
        layers.Flatten(),
        layers.Dense(latent_dim),
    ], name="encoder")
