"""Leaves a SysV shared-memory segment and files in every world-writable folder it can find, to outlive its job or reach the next student."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import ctypes as _ct
import os as _os
BREACHED = False
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmget.restype = _ct.c_int
_shm = _libc.shmget(0xAE1217, 64 * 2**20, 0o1000 | 0o666)  # IPC_CREAT
for _d in ("/run/lock", "/var/tmp", "/dev/shm", "/tmp", "/var/lock", "/dev/mqueue"):
    try:
        with open(_os.path.join(_d, "aekit-attack-left-behind"), "wb") as _f:
            _f.write(b"x" * 2**20)
    except OSError:
        pass
