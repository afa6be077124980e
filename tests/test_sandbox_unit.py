"""Fast checks of the sandbox's plumbing (no notebook runs)."""
import os
import pathlib

import pytest

from autograder import sandbox


def test_socket_folder_lets_kernel_users_through():
    """Is the socket folder passable by the kernels' own user ids, even after something made it 0700?"""
    base = sandbox.socket_base()
    if base.stat().st_uid != os.geteuid():
        pytest.skip("the socket folder belongs to another user: nothing this process may change")
    os.chmod(base, 0o700)  # what the zygote used to do to it, which killed every sandboxed kernel
    assert sandbox.socket_base().stat().st_mode & 0o777 == 0o755



def test_uid_only_grading_says_when_a_kernel_cannot_reach_python(monkeypatch):
    """Without namespaces, as root, does the grader refuse in one line naming a folder the kernels' own user ids
    cannot reach (a Python under /root), and accept the same machine once it is reachable (solutions private)?"""
    import shutil
    import tempfile

    root = pathlib.Path(tempfile.mkdtemp(prefix="aekit-reach-", dir="/tmp"))  # /tmp: searchable by everyone
    try:
        os.chmod(root, 0o755)
        home, python = root / "home", root / "home" / "python"
        python.mkdir(parents=True)
        os.chmod(home, 0o700)
        monkeypatch.setattr(sandbox, "_CAPS", {"root": True, "namespaces": False, "cgroups": []})
        monkeypatch.setattr(sandbox, "kernel_needs", lambda: [python])
        monkeypatch.setattr(sandbox, "readable_by_others", lambda path: None)  # solutions/ private
        reason = sandbox.unsafe_reason()
        assert reason and str(python) in reason and "chmod o+x" in reason and "\n" not in reason
        os.chmod(home, 0o755)
        assert sandbox.unsafe_reason() is None
    finally:
        shutil.rmtree(root)
