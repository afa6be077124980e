"""Training loop ignores batch_size and always takes batches of 32 (a common default): fewer Adam steps than asked whenever batch_size is smaller."""
EXPECT_FAILED = ["test_train_autoencoder_hidden"]

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    variables = encoder.trainable_variables + decoder.trainable_variables
    history = []
    for _ in range(epochs):
        losses = []
        for start in range(0, len(images), 32):  # wrong: batch_size is not used
            batch = images[start:start + 32]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            losses.append(float(loss))
        history.append(float(np.mean(losses)))
    return history
