"""Does `import aekit` tell a student in one line when the host's packages are outside the supported
ranges, and do the two adaptations to Colab's Keras 3.10 change only what they must?"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from aekit import data, versions

GOOD = {"tensorflow": "2.19.1", "keras": "3.10.0", "numpy": "1.26.4", "ipywidgets": "7.7.1"}


def test_the_oldest_and_newest_tested_stacks_pass_silently():
    """Do Colab's versions and constraints.txt's give no finding at all?"""
    assert versions.findings(GOOD) == []
    assert (
        versions.findings(
            {"tensorflow-cpu": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6", "ipywidgets": "8.1.8"}
        )
        == []
    )


@pytest.mark.parametrize(
    "name, version, says",
    [
        ("tensorflow", "2.18.0", "TensorFlow 2.19 or later"),
        ("keras", "2.15.0", "Keras 3.10 or later"),
        ("numpy", "1.25.2", "NumPy 1.26 or later"),
        ("ipywidgets", "7.6.5", "ipywidgets 7.7 or later"),
    ],
)
def test_an_older_package_stops_the_import_with_what_to_do(name, version, says):
    """Does a version below the range raise UnsupportedEnvironment (an ImportError), naming the
    package, both versions and the fix, on one line?"""
    with pytest.raises(versions.UnsupportedEnvironment) as caught:
        versions.check(dict(GOOD, **{name: version}))
    message = str(caught.value)
    assert isinstance(caught.value, ImportError) and "\n" not in message
    assert says in message and version in message and "constraints.txt" in message


@pytest.mark.parametrize(
    "name, version, says",
    [
        ("tensorflow", "2.22.0", "newer than the course was tested with"),
        ("numpy", "3.0.0", "newer than the course was tested with"),
        ("ipywidgets", "8.1.9", "render nothing in VS Code"),
    ],
)
def test_a_newer_or_broken_package_only_warns(name, version, says):
    """Does a version above the range, or ipywidgets 8.1.9, give a warning
    and let the notebook go on?"""
    with pytest.warns(RuntimeWarning, match=says):
        found = versions.check(dict(GOOD, **{name: version}))
    assert len(found) == 1 and not found[0].fatal


def test_two_tensorflow_distributions_are_reported():
    """Are tensorflow and tensorflow-cpu installed together (one folder,
    two owners) named in a warning?"""
    found = versions.findings(dict(GOOD, **{"tensorflow-cpu": "2.21.0"}))
    assert [f.fatal for f in found] == [False] and "both installed" in found[0].message


def test_versions_compare_by_release_numbers():
    """Are versions compared as numbers (2.9 < 2.19, 3.10 == 3.10.0,
    release candidates by their release)?"""
    assert versions.before("2.9.0", "2.19") and not versions.before("3.10.0", "3.10")
    assert versions.release("2.19.0rc1") == (2, 19, 0) and versions.before("3.10.0", "3.11")


def test_installed_versions_reads_this_environment():
    """Does the check read this environment's versions (a metadata look-up per name, no import)?"""
    from importlib import metadata

    got = versions.installed_versions()
    assert got["numpy"] == metadata.version("numpy") and "keras" in got


def test_a_model_config_loses_only_the_newer_keys_at_their_defaults(tmp_path):
    """Does the copy for an older Keras drop input_axes, output_axes and quantization_config where
    they hold their defaults, keep everything else (other keys, set values, the weights file) byte
    for byte, and make no copy of a file without them?"""
    src = data.weights_path("ae_latent2.keras")
    out = tmp_path / "older.keras"
    assert data._for_older_keras(src, out) is True
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "config.json":
                assert a.read(name) == b.read(name)
        old, new = a.read("config.json").decode(), b.read("config.json").decode()
    assert all(f'"{k}"' in old for k in data.NEWER_KERAS_DEFAULTS)
    assert not any(f'"{k}"' in new for k in data.NEWER_KERAS_DEFAULTS)
    assert json.loads(new) == data._without_newer_defaults(json.loads(old))
    assert data._without_newer_defaults({"input_axes": [1], "x": {"output_axes": None}}) == {
        "input_axes": [1],
        "x": {},
    }
    again = tmp_path / "again.keras"
    assert data._for_older_keras(out, again) is False and not again.exists()


def test_output_padding_adaptation_allows_zero_there_only():
    """After aekit.kerascompat, does Keras accept output_padding 0 (as Keras
    3.11 does) while still refusing a zero stride, and does a second call
    change nothing? (In a subprocess: it changes Keras for the process.)"""
    code = (
        "from aekit import kerascompat\n"
        "from keras.src.layers.convolutional import base_conv_transpose as m\n"
        "first, second = kerascompat.allow_zero_output_padding(), "
        "kerascompat.allow_zero_output_padding()\nassert "
        "m.standardize_tuple(0, 2, 'output_padding') == (0, 0)\ntry:\n    "
        "m.standardize_tuple(0, 2, 'strides')\nexcept ValueError:\n    "
        "refused = True\nelse:\n    refused = False\nprint(first, second, refused)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-3:] == ["True", "False", "True"]
