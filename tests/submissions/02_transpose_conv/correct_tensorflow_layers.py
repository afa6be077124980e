"""Correct, written differently: the transpose as a row vector times C (x @ C == C.T @ x), a scatter with four loops and a bounds check returning a tf.Tensor, closed-form sizes as a NumPy array, Keras sizes read off a real layer."""
EXPECT_FAILED = []

# %% conv_transpose_via_matrix
def conv_transpose_via_matrix(x, kernel, output_shape, stride=1, padding="VALID"):
    h, w = output_shape
    row = np.asarray(x).reshape(1, -1) @ conv_matrix(kernel, (h, w), stride, padding)  # (1, m) @ (m, H*W)
    return row.reshape(h, w)

# %% conv_transpose_scatter
def conv_transpose_scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    m_h, m_w = np.shape(x)
    kh, kw = np.shape(kernel)
    h, w = output_shape
    pad_h = max((conv_output_size(h, kh, stride, padding) - 1) * stride + kh - h, 0) if padding == "SAME" else 0
    pad_w = max((conv_output_size(w, kw, stride, padding) - 1) * stride + kw - w, 0) if padding == "SAME" else 0
    out = np.zeros((h, w))
    for r in range(m_h):
        for c in range(m_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * stride + a - pad_h // 2, c * stride + b - pad_w // 2
                    if 0 <= i < h and 0 <= j < w:
                        out[i, j] += x[r, c] * kernel[a, b]
    return tf.constant(out, dtype=tf.float32)

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    lo = (input_size - 1) * stride + (1 if padding == "SAME" else k)
    return np.arange(lo, lo + stride)

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    layer = tf.keras.layers.Conv2DTranspose(1, (k, 1), strides=(stride, 1), padding=padding.lower(),
                                            output_padding=None if output_padding is None else (output_padding, 0))
    return int(layer.compute_output_shape((1, input_size, 1, 1))[1])
