"""An encoder built for float64 inputs: mu and log_var come out float64, not float32."""
EXPECT_FAILED = ["test_build_vae_encoder_hidden"]
EXPECT_MESSAGE = {"test_build_vae_encoder_hidden": "float32"}

# %% build_vae_encoder
def build_vae_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1), dtype="float64")
    h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", dtype="float64")(images)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", dtype="float64")(h)
    h = layers.Dense(64, activation="relu", dtype="float64")(layers.Flatten(dtype="float64")(h))
    mu = layers.Dense(latent_dim, name="mu", dtype="float64")(h)
    log_var = layers.Dense(latent_dim, name="log_var", dtype="float64")(h)
    return tf.keras.Model(images, [mu, log_var], name="encoder")
