"""Both heads end in ReLU, like the trunk's layers: mu and log_var are never negative."""
EXPECT_FAILED = ["test_build_vae_encoder_hidden"]
EXPECT_MAY_FAIL = ["test_build_vae_encoder"]  # on the visible test's three images both ReLU heads can be all zero, hence identical: a right verdict too

# %% build_vae_encoder
def build_vae_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(images)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Dense(64, activation="relu")(layers.Flatten()(h))
    mu = layers.Dense(latent_dim, activation="relu", name="mu")(h)
    log_var = layers.Dense(latent_dim, activation="relu", name="log_var")(h)
    return tf.keras.Model(images, [mu, log_var], name="encoder")
