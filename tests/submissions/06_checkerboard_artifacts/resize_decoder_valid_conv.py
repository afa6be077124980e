"""Resize-conv decoder with a VALID convolution (8x8 start, x2 to 16, VALID 3x3 to 14, x2 to 28): the docstring asks for SAME padding."""
EXPECT_FAILED = ["test_build_resize_conv_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_resize_conv_decoder_hidden": "padding"}

# %% build_resize_conv_decoder
def build_resize_conv_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(8 * 8 * 64, activation="relu"),
        layers.Reshape((8, 8, 64)),
        layers.UpSampling2D(2),                                   # -> (B, 16, 16, 64)
        layers.Conv2D(32, 3, activation="relu"),                  # VALID: -> (B, 14, 14, 32)
        layers.UpSampling2D(2),                                   # -> (B, 28, 28, 32)
        layers.Conv2D(1, 3, padding="same"),
    ])
