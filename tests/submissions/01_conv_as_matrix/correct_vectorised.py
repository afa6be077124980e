"""Correct, vectorised: sliding windows and einsum, conv_matrix by index arithmetic, im2col from sliding windows (float32)."""
EXPECT_FAILED = []

# %% conv_output_size
import math


def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding.upper() == "SAME":
        return math.ceil(n / stride)
    return math.floor((n - k) / stride) + 1


# %% conv2d_naive
def conv2d_naive(image, kernel, stride=1, padding="VALID"):
    kh, kw = kernel.shape
    h, w = image.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(image, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw))[::stride, ::stride]
    return np.einsum("rcab,ab->rc", windows[:oh, :ow], kernel)


# %% conv_matrix
def conv_matrix(kernel, input_shape, stride=1, padding="VALID"):
    kernel = np.asarray(kernel, dtype=np.float32)
    kh, kw = kernel.shape
    h, w = input_shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    top = max((oh - 1) * stride + kh - h, 0) // 2
    left = max((ow - 1) * stride + kw - w, 0) // 2
    r, c, a, b = np.meshgrid(np.arange(oh), np.arange(ow), np.arange(kh), np.arange(kw), indexing="ij")
    i, j = r * stride + a - top, c * stride + b - left
    ok = (i >= 0) & (i < h) & (j >= 0) & (j < w)
    m = np.zeros((oh * ow, h * w), dtype=np.float32)
    m[(r * ow + c)[ok], (i * w + j)[ok]] = np.broadcast_to(kernel, r.shape)[ok]
    return m


# %% conv2d_as_matmul
def conv2d_as_matmul(image, kernel, stride=1, padding="VALID"):
    h, w = image.shape
    oh = conv_output_size(h, kernel.shape[0], stride, padding)
    ow = conv_output_size(w, kernel.shape[1], stride, padding)
    return (conv_matrix(kernel, image.shape, stride, padding) @ image.reshape(-1)).reshape(oh, ow)


# %% im2col
def im2col(image, kernel_shape, stride=1, padding="VALID"):
    kh, kw = kernel_shape
    h, w = image.shape
    oh, ow = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)
    ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(image.astype(np.float32), ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw))[::stride, ::stride][:oh, :ow]
    return windows.reshape(oh * ow, kh * kw).T  # (oh, ow, kh, kw) -> (kh * kw, oh * ow)


# %% conv2d_im2col
def conv2d_im2col(image, kernel, stride=1, padding="VALID"):
    cols = im2col(image, kernel.shape, stride, padding)
    oh = conv_output_size(image.shape[0], kernel.shape[0], stride, padding)
    return np.einsum("t,tp->p", kernel.reshape(-1), cols).reshape(oh, -1)
