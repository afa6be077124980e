"""One Dense head used twice: mu and log_var are the same tensor."""
EXPECT_FAILED = ["test_build_vae_encoder", "test_build_vae_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_vae_encoder": "identical", "test_build_vae_encoder_hidden": "identical"}

# %% build_vae_encoder
def build_vae_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(images)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Dense(64, activation="relu")(layers.Flatten()(h))
    head = layers.Dense(latent_dim)(h)
    return tf.keras.Model(images, [head, head], name="encoder")
