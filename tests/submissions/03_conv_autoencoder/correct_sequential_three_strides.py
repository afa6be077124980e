"""Correct: Sequential models with other filter counts, three stride-2 layers and cropping; tf.data loop; loss as a scaled mean."""
EXPECT_FAILED = []

# %% build_encoder
def build_encoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # -> (B, 14, 14, 16)
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),  # -> (B, 7, 7, 32)
        layers.Conv2D(48, 3, strides=2, padding="same", activation="relu"),  # -> (B, 4, 4, 48)
        layers.Flatten(),
        layers.Dense(latent_dim),
    ], name="encoder")

# %% build_decoder
def build_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(4 * 4 * 48, activation="relu"),
        layers.Reshape((4, 4, 48)),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),    # -> (B, 8, 8, 32)
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),    # -> (B, 16, 16, 16)
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),  # -> (B, 32, 32, 1)
        layers.Cropping2D(2),                                                           # -> (B, 28, 28, 1)
    ], name="decoder")

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    x = tf.convert_to_tensor(x, tf.float32)
    pixels = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), tf.float32)
    # the mean of the per-image sums equals the mean over everything times the pixels per image
    return tf.reduce_mean(tf.square(x - x_hat)) * pixels

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0).batch(batch_size)
    history = []
    for epoch in range(epochs):
        mean = tf.keras.metrics.Mean()
        for batch in dataset:
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            variables = encoder.trainable_variables + decoder.trainable_variables
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            mean.update_state(loss)
        history.append(float(mean.result()))
    return history
