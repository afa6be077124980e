"""Resize-conv decoder whose second upsampling step is a Conv2DTranspose hidden in a nested Sequential."""
EXPECT_FAILED = ["test_build_resize_conv_decoder", "test_build_resize_conv_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_resize_conv_decoder": "Conv2DTranspose",
                  "test_build_resize_conv_decoder_hidden": "nested"}

# %% build_resize_conv_decoder
def build_resize_conv_decoder(latent_dim):
    tail = tf.keras.Sequential([
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(1, 3, padding="same"),
    ], name="upsample_block")
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 64, activation="relu"),
        layers.Reshape((7, 7, 64)),
        layers.UpSampling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        tail,
    ])
