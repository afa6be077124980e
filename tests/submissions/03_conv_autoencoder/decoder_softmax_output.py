"""Decoder ends in a softmax instead of a sigmoid: over its single channel every pixel is exactly 1, inside [0, 1] but never dark."""
EXPECT_FAILED = ["test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder_hidden": "dark and bright"}

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 64, activation="relu"),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="softmax"),
    ], name="decoder")
