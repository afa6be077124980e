"""Encoder downsamples with MaxPooling2D after stride-1 convolutions instead of strided convolutions."""
EXPECT_FAILED = ["test_build_encoder", "test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder": "strided", "test_build_encoder_hidden": "strides > 1"}

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(latent_dim),
    ], name="encoder")
