"""Correct: Functional encoder, subclassed decoder that clips, eager in-order loop over NumPy slices with a weighted epoch mean."""
EXPECT_FAILED = []

# %% build_encoder
def build_encoder(latent_dim):
    inputs = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(8, 5, padding="same", activation="relu")(inputs)        # stride 1 first: (B, 28, 28, 8)
    h = layers.Conv2D(24, 4, strides=(2, 2), padding="same")(h)               # (B, 14, 14, 24)
    h = layers.LeakyReLU(0.1)(h)
    h = layers.Conv2D(24, 4, strides=2, padding="same", activation="relu")(h)  # (B, 7, 7, 24)
    z = layers.Dense(latent_dim)(layers.Flatten()(h))
    return tf.keras.Model(inputs, z, name="encoder")

# %% build_decoder
class Decoder(tf.keras.Model):
    def __init__(self, latent_dim):
        super().__init__(name="decoder")
        self.dense = layers.Dense(7 * 7 * 24, activation="relu")
        self.reshape = layers.Reshape((7, 7, 24))
        self.up = [layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),
                   layers.Conv2DTranspose(1, 4, strides=2, padding="same")]

    def call(self, z):
        h = self.reshape(self.dense(z))
        for layer in self.up:
            h = layer(h)
        return tf.clip_by_value(h, 0.0, 1.0)


def build_decoder(latent_dim):
    return Decoder(latent_dim)

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    batch = tf.shape(x_hat)[0]
    squared = tf.math.squared_difference(tf.cast(x, tf.float32), tf.cast(x_hat, tf.float32))
    return tf.reduce_sum(squared) / tf.cast(batch, tf.float32)

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    opt = tf.keras.optimizers.Adam(learning_rate)
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(x, decoder(encoder(x)))
            params = encoder.trainable_weights + decoder.trainable_weights
            grads = tape.gradient(loss, params)
            opt.apply_gradients(zip(grads, params))
            total += float(loss) * len(x)
            count += len(x)
        losses.append(total / count)
    return losses
