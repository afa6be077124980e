"""Opens a connection to a server the TA's machine runs on localhost."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import socket as _s
BREACHED = False
try:
    _s.create_connection(("127.0.0.1", ATTACK_PORT), timeout=2).close()
    BREACHED = True
except OSError:
    pass
