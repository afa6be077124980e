"""The zygote's last act when its grader is killed: what it removes, and what it leaves to others."""
from __future__ import annotations

import os
import socket

from autograder import zygote


def test_a_killed_graders_zygote_removes_its_job_folders_and_socket_only(tmp_path):
    """Does the zygote of a killed grader remove that grader's job folders (deep trees and links a job left
    included) and its own socket, and leave another grader's folders and anything not the grader's alone?"""
    base = tmp_path / "aekit"
    job = base / "aekit-123-1"
    deep = job / "home"
    for i in range(200):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (job / "link-to-outside").symlink_to(tmp_path / "outside")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep").write_text("kept")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(base / "aekit-123-zygote-99.sock"))
    other = base / "aekit-1234-1"
    other.mkdir()
    (base / "aekit-grader").mkdir()
    zygote._remove_folders_of(123, base)
    assert sorted(os.listdir(base)) == ["aekit-1234-1", "aekit-grader"]
    assert (tmp_path / "outside" / "keep").read_text() == "kept"
