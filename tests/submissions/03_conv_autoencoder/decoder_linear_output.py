"""Decoder ends with a linear Conv2DTranspose: outputs are not confined to [0, 1]."""
EXPECT_FAILED = ["test_build_decoder", "test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder": "[0, 1]", "test_build_decoder_hidden": "sigmoid"}

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 64, activation="relu"),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same"),
    ], name="decoder")
