"""Issue 26, hole 4: fills every place it can write (its socket folder, home, /tmp, /var/tmp, /dev/shm) with bytes
and then with empty files, until the disk or the inodes run out."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import json as _json
import os as _os
BREACHED = False
_ipc = _os.path.dirname(_json.load(open(".kernel-connection.json"))["ip"])
_block = b"\1" * (1 << 20)
for _top in (_ipc, _os.getcwd(), "/tmp", "/var/tmp", "/dev/shm"):
    _written = _files = 0
    try:  # bytes: files of 64 MB (under the file-size limit), at most 1.5 GB a place
        while _written < (1536 << 20):
            with open(_os.path.join(_top, f"aekit-attack-fill-{_written >> 26}"), "wb") as _f:
                for _ in range(64):
                    _f.write(_block)
                    _written += len(_block)
    except OSError:
        pass
    try:  # inodes: empty files, at most 60,000 a place
        _d = _os.path.join(_top, "aekit-attack-files")
        _os.mkdir(_d)
        while _files < 60000:
            open(_os.path.join(_d, str(_files)), "w").close()
            _files += 1
    except OSError:
        pass
    for _name in _os.listdir(_top):  # leave the place full of files, but give the bytes back to its memory
        if _name.startswith("aekit-attack-fill-"):
            _os.unlink(_os.path.join(_top, _name))
    print(_top, _written >> 20, "MB", _files, "files")
    # a job's every place is bounded: a few hundred MB and some ten thousand files at most
    BREACHED = BREACHED or (_top == _ipc and (_written > (1024 << 20) or _files >= 60000))
