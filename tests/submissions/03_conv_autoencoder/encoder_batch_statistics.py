"""The encoder standardises its features over the batch (a batch normalisation always in training mode): an image's code depends on the other images in the batch."""
EXPECT_FAILED = ["test_build_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_encoder_hidden": "depend on that image only"}

# %% build_encoder
class BatchStandardize(tf.keras.layers.Layer):
    def call(self, h):
        mean, var = tf.nn.moments(h, axes=[0], keepdims=True)
        return (h - mean) / tf.sqrt(var + 1e-3)


def build_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(images)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = BatchStandardize()(layers.Flatten()(h))
    return tf.keras.Model(images, layers.Dense(latent_dim)(h), name="encoder")
