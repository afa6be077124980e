# Google Colab only: installs the course package (aekit, with MNIST and the pretrained models) and
# leaves Colab's own TensorFlow, Keras and ipywidgets as they are. Anywhere else, and whenever the
# notebook is being graded, this cell does nothing.
import os
import sys

WHEEL_URL = ""  # the course package's address, set by the instructor (README: "Colab")

on_colab = "google.colab" in sys.modules or any(name.startswith("COLAB_") for name in os.environ)
if on_colab and not os.environ.get("NBGRADER_EXECUTION"):
    import glob
    import importlib
    import importlib.util
    import subprocess

    if importlib.util.find_spec("aekit") is None:
        # the instructor's address, or a wheel uploaded to Colab's Files
        # pane (this notebook's folder)
        wheel = (
            os.environ.get("AEKIT_WHEEL_URL")
            or WHEEL_URL
            or next(iter(sorted(glob.glob("aekit-*.whl"))), "")
        )
        if not wheel:
            raise RuntimeError(
                "no course package to install: upload aekit-*.whl to Colab's Files pane "
                "(from your course's page), then run this cell again"
            )
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", wheel], check=True
        )
        importlib.invalidate_caches()
    print("aekit is installed")
