"""Correct, with the student's own helper cells: `import math` sits in the conv_output_size cell and is used by conv2d_naive and im2col; a padding helper defined above conv2d_naive is used by conv_matrix and im2col too."""
EXPECT_FAILED = []

# %% conv_output_size
import math


def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return int(math.ceil(n / stride))
    return int(math.floor((n - k) / stride)) + 1


# %% conv2d_naive
def padding_split(n, k, stride, padding):
    """(before, after) zeros along one axis, TensorFlow's rule."""
    p = max((conv_output_size(n, k, stride, padding) - 1) * stride + k - n, 0) if padding == "SAME" else 0
    return p // 2, p - p // 2


def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    (h, w), (kh, kw) = image.shape, kernel.shape
    padded = np.pad(image, (padding_split(h, kh, stride, padding), padding_split(w, kw, stride, padding)))
    out_h = math.floor((padded.shape[0] - kh) / stride) + 1
    out_w = math.floor((padded.shape[1] - kw) / stride) + 1
    return np.array([[np.sum(padded[r * stride:r * stride + kh, c * stride:c * stride + kw] * kernel)
                      for c in range(out_w)] for r in range(out_h)]).reshape(out_h, out_w)


# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, float)
    (h, w), (kh, kw) = input_shape, kernel.shape
    (top, _), (left, _) = padding_split(h, kh, stride, padding), padding_split(w, kw, stride, padding)
    out_h, out_w = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    rows = []
    for r in range(out_h):
        for c in range(out_w):
            canvas = np.zeros((h + kh + top, w + kw + left))
            canvas[r * stride:r * stride + kh, c * stride:c * stride + kw] = kernel
            rows.append(canvas[top:top + h, left:left + w].ravel())
    return np.array(rows).reshape(out_h * out_w, h * w)


# %% im2col
def im2col(image, kernel_shape, stride=1, padding="VALID"):
    (h, w), (kh, kw) = np.shape(image), kernel_shape
    padded = np.pad(np.asarray(image, float), (padding_split(h, kh, stride, padding), padding_split(w, kw, stride, padding)))
    out_h = math.floor((padded.shape[0] - kh) / stride) + 1
    out_w = math.floor((padded.shape[1] - kw) / stride) + 1
    return np.array([padded[r * stride:r * stride + kh, c * stride:c * stride + kw].reshape(-1)
                     for r in range(out_h) for c in range(out_w)]).T.reshape(kh * kw, out_h * out_w)


# %% conv2d_im2col
def conv2d_im2col(image, kernel, stride=1, padding="VALID"):
    (h, w), (kh, kw) = np.shape(image), np.shape(kernel)
    out = np.asarray(kernel, float).reshape(1, kh * kw) @ im2col(image, (kh, kw), stride, padding)
    return out.reshape(conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding))
