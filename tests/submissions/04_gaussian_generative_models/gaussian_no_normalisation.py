"""The Gaussian without its normalisation constant 1/sqrt(2 pi sigma^2)."""
EXPECT_FAILED = ["test_gaussian_pdf", "test_gaussian_pdf_hidden", "test_mixture_pdf", "test_mixture_pdf_hidden"]
EXPECT_MESSAGE = {"test_gaussian_pdf": "normalisation", "test_gaussian_pdf_hidden": "normalisation"}

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """Only the bell-shaped exponential."""
    return np.exp(-((x - mu) ** 2) / (2 * sigma**2))
