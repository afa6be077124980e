"""Decoder starts from 4x4 and upsamples three times: 32x32 images instead of 28x28."""
EXPECT_FAILED = ["test_build_decoder", "test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder": "4 pixels too many", "test_build_decoder_hidden": "4 pixels too many"}

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(4 * 4 * 64, activation="relu"),
        layers.Reshape((4, 4, 64)),
        layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ], name="decoder")
