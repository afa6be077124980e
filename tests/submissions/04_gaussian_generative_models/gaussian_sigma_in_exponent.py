"""The standard deviation where the variance belongs in the exponent: exp(-(x - mu)^2 / (2 sigma))."""
EXPECT_FAILED = ["test_gaussian_pdf", "test_gaussian_pdf_hidden", "test_mixture_pdf", "test_mixture_pdf_hidden"]
EXPECT_MESSAGE = {"test_gaussian_pdf": "exponent divides by 2 sigma",
                  "test_gaussian_pdf_hidden": "exponent divides by 2 sigma"}

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """Right constant, but the exponent divides by 2 sigma."""
    x = np.asarray(x, dtype=float)
    return np.exp(-((x - mu) ** 2) / (2 * sigma)) / np.sqrt(2 * np.pi * sigma**2)
