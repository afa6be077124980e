"""The constant written 1/sqrt(2 pi) * sigma: sigma multiplies instead of divides."""
EXPECT_FAILED = ["test_gaussian_pdf", "test_gaussian_pdf_hidden", "test_mixture_pdf", "test_mixture_pdf_hidden"]
EXPECT_MESSAGE = {"test_gaussian_pdf": "denominator", "test_gaussian_pdf_hidden": "denominator"}

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """1/sqrt(2 pi) * sigma * exp(...)."""
    return 1 / np.sqrt(2 * np.pi) * sigma * np.exp(-((x - mu) ** 2) / (2 * sigma**2))
