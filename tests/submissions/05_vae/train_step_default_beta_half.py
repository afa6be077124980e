"""train_step passes beta on, but its default is beta = 0.5, not 1.0."""
EXPECT_FAILED = ["test_train_step_hidden"]
EXPECT_MESSAGE = {"test_train_step_hidden": "default must be 1.0"}

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=0.5):
    x = tf.convert_to_tensor(x, tf.float32)
    variables = encoder.trainable_variables + decoder.trainable_variables
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        logits = decoder(reparameterize(mu, log_var), training=True)
        loss = vae_loss(x, logits, mu, log_var, beta)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss
