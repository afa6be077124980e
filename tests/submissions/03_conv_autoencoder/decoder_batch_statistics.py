"""The decoder standardises its features over the batch before upsampling (a batch normalisation always in training mode): a code's image depends on the other codes in the batch."""
EXPECT_FAILED = ["test_build_decoder_hidden"]
EXPECT_MESSAGE = {"test_build_decoder_hidden": "depend on that code only"}

# %% build_decoder
class BatchStandardize(tf.keras.layers.Layer):
    def call(self, h):
        mean, var = tf.nn.moments(h, axes=[0], keepdims=True)
        return (h - mean) / tf.sqrt(var + 1e-3)


def build_decoder(latent_dim):
    codes = tf.keras.Input(shape=(latent_dim,))
    h = BatchStandardize()(layers.Dense(7 * 7 * 64, activation="relu")(codes))
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    images = layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")(h)
    return tf.keras.Model(codes, images, name="decoder")
