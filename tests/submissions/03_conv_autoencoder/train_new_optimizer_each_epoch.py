"""Training loop creates a fresh Adam every epoch (its moment estimates restart), not one optimiser for the whole run."""
EXPECT_FAILED = ["test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder_hidden": "Adam steps"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    variables = encoder.trainable_variables + decoder.trainable_variables
    history = []
    for _ in range(epochs):
        optimizer = tf.keras.optimizers.Adam(learning_rate)  # wrong: a new optimiser every epoch
        losses = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            losses.append(float(loss))
        history.append(float(np.mean(losses)))
    return history
