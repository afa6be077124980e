"""Returns the loss of the batch computed again after the update (a second forward pass), not the loss the gradient came from."""
EXPECT_FAILED = ["test_train_step_hidden"]

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    x = tf.convert_to_tensor(x, tf.float32)
    variables = encoder.trainable_variables + decoder.trainable_variables
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        logits = decoder(reparameterize(mu, log_var), training=True)
        loss = vae_loss(x, logits, mu, log_var, beta)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    mu, log_var = encoder(x, training=True)  # the loss after the step
    return vae_loss(x, decoder(reparameterize(mu, log_var), training=True), mu, log_var, beta)
