"""Decoder upsamples with UpSampling2D and Conv2D instead of Conv2DTranspose."""
EXPECT_FAILED = ["test_build_decoder", "test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder": "Conv2DTranspose", "test_build_decoder_hidden": "Conv2DTranspose"}

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 64, activation="relu"),
        layers.Reshape((7, 7, 64)),
        layers.UpSampling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ], name="decoder")
