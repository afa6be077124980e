"""The variance sigma**2 used where the standard deviation belongs in the Gaussian density."""
EXPECT_FAILED = ["test_gaussian_pdf", "test_gaussian_pdf_hidden", "test_mixture_pdf", "test_mixture_pdf_hidden"]
EXPECT_MESSAGE = {"test_gaussian_pdf": "variance", "test_gaussian_pdf_hidden": "variance"}

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """Treats sigma as if it were the variance's square root twice over."""
    var = sigma**2
    return np.exp(-((x - mu) ** 2) / (2 * var**2)) / np.sqrt(2 * np.pi * var**2)
