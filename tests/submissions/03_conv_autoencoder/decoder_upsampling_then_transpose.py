"""Decoder upsamples with UpSampling2D and then uses stride-1 Conv2DTranspose layers (no strided transpose)."""
EXPECT_FAILED = ["test_build_decoder", "test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder": "stride > 1", "test_build_decoder_hidden": "stride > 1"}

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 64, activation="relu"),
        layers.Reshape((7, 7, 64)),
        layers.UpSampling2D(2),
        layers.Conv2DTranspose(32, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid"),
    ], name="decoder")
