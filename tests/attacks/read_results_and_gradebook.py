"""Walks up from its folder looking for the gradebook, other jobs and the results."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
import pathlib as _p
BREACHED = False
for _parent in _p.Path.cwd().parents:
    for _name in ("gradebook.db", "gradebook-template.db", "grades.csv", "source", "submitted", "jobs", ".state"):
        _target = _parent / _name
        try:
            if _target.is_file():
                _target.read_bytes()
                BREACHED = True
            elif _target.is_dir() and set(_os.listdir(_target)) - set(_p.Path.cwd().parts):
                # anything beyond the folders on the way to its own working folder
                BREACHED = True
        except OSError:
            pass
