"""The sizes a convolution explorer starts from, and the controls that change them (01's
matrix explorer, 02's scatter explorer)."""

from __future__ import annotations

import logging
from typing import NamedTuple

log = logging.getLogger(__name__)


class Geometry(NamedTuple):
    """A square input, a square kernel, a stride and a padding."""

    kernel_size: int = 3
    input_size: int = 4
    stride: int = 1
    padding: str = "VALID"


def int_slider(value: int, low: int, high: int, label: str):
    """An `ipywidgets.IntSlider` that redraws while it moves."""
    import ipywidgets as w

    return w.IntSlider(value=value, min=low, max=high, description=label, continuous_update=True)


def controls(start: Geometry, kernel_max: int, input_min: int, input_max: int) -> tuple:
    """(kernel size, input size, stride) sliders and VALID/SAME buttons, set to `start`."""
    import ipywidgets as w

    return (
        int_slider(start.kernel_size, 1, kernel_max, "kernel size"),
        int_slider(start.input_size, input_min, input_max, "input size"),
        int_slider(start.stride, 1, 3, "stride"),
        w.ToggleButtons(options=["VALID", "SAME"], value=start.padding, description="padding"),
    )
