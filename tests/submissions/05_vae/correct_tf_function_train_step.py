"""Correct but different: train_step decorated with @tf.function, as in the TensorFlow CVAE tutorial (a new trace for each new model, optimiser or beta)."""
EXPECT_FAILED = []

# %% train_step
@tf.function
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    x = tf.convert_to_tensor(x, tf.float32)
    variables = encoder.trainable_variables + decoder.trainable_variables
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        z = reparameterize(mu, log_var)
        logits = decoder(z, training=True)
        loss = vae_loss(x, logits, mu, log_var, beta)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss
