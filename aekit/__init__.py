"""Shared helpers for the autoencoder / VAE course notebooks.

Importing this package changes no global state but one (below): notebooks call
`aekit.plotting.setup()` in their setup cell, and submodules are imported on
demand so that a NumPy-only notebook does not pay for TensorFlow. Importing it
checks, without importing them, that the installed TensorFlow, Keras, NumPy and
ipywidgets are versions the course supports (`aekit.versions`); with a Keras
older than 3.11 (Colab's 3.10) it also makes that Keras accept what the tested
one accepts (`aekit.kerascompat`, the one change of global state).
"""

from aekit import versions as _versions

__all__ = ["data", "plotting", "checks", "versions"]
__version__ = "0.1.0"


def _check_environment() -> None:
    installed = _versions.installed_versions()
    _versions.check(installed)
    if "keras" in installed and _versions.before(installed["keras"], "3.11"):
        from aekit import kerascompat

        try:
            kerascompat.allow_zero_output_padding()
        except Exception as exc:  # noqa: BLE001  (a Keras laid out otherwise: notebooks run, but for output_padding=0)
            import logging

            logging.getLogger(__name__).warning(
                "could not adapt Keras %s (%s)", installed["keras"], exc
            )


_check_environment()
