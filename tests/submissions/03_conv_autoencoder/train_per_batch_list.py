"""Training loop returns every batch's loss instead of one mean per epoch."""
EXPECT_FAILED = ["test_train_autoencoder", "test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder": "one entry per batch", "test_train_autoencoder_hidden": "one entry per batch"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    variables = encoder.trainable_variables + decoder.trainable_variables
    history = []
    for _ in range(epochs):
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            history.append(float(loss))
    return history
