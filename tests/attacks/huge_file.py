"""Writes one file until the disk is full."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
BREACHED = False
_written = 0
try:
    with open("huge.bin", "wb") as _f:
        _block = b"\0" * (1 << 24)
        while _written < (4 << 30):
            _f.write(_block)
            _f.flush()
            _written += len(_block)
except OSError:
    pass
BREACHED = _written > (300 << 20)  # the file-size limit is 256 MB
