"""Shared helpers for the autoencoder / VAE course notebooks.

Importing this package changes no global state; notebooks call
`aekit.plotting.setup()` in their setup cell. Submodules are imported on
demand so that a NumPy-only notebook does not pay for TensorFlow.
"""
__all__ = ["data", "plotting", "checks"]
__version__ = "0.1.0"
