"""One learned log-variance per latent dimension, shared by every image: the log_var head does not read the image."""
EXPECT_FAILED = ["test_build_vae_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_vae_encoder_hidden": "same mu or log_var"}

# %% build_vae_encoder
class SharedLogVar(tf.keras.layers.Layer):
    """A trainable log-variance of shape (latent_dim,), broadcast to every image of the batch"""
    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim

    def build(self, input_shape):
        self.log_var = self.add_weight(shape=(self.latent_dim,), initializer="zeros", name="log_var")

    def call(self, h):
        return tf.zeros_like(h[:, :1]) + self.log_var


def build_vae_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(images)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Dense(64, activation="relu")(layers.Flatten()(h))
    return tf.keras.Model(images, [layers.Dense(latent_dim)(h), SharedLogVar(latent_dim)(h)], name="encoder")
