"""The zygote's socket: one JSON line per message (messages.py), each way.

A requester connects and sends a `messages.KernelStart` or `messages.RunnerStart`;
the zygote (zygote.py) forks the child and answers `messages.Started` (its pid), and
later `messages.Exited` (its exit code). The requester keeps the connection open as
long as it wants the child: when it closes it, the zygote kills the child.
Requesters: the launcher (a grading run) and a kernel's stand-in (confine.py, on the
kernel's side: so this module is light, the standard library and messages.py only).
"""

from __future__ import annotations

import json
import logging
import socket

from .messages import (
    Exited,
    KernelStart,
    Message,
    MessageError,
    RunnerStart,
    Started,
    zygote_request_to_json,
)

log = logging.getLogger(__name__)

LINE_BYTES = 65536  # read at a time; a line ends with "\n"


def read_line(conn: socket.socket) -> bytes:
    """One line from `conn`, with its "\\n" (shorter when the peer closed
    first). Only that line is taken from the socket: a line sent right after
    it (a child's exit just after its pid) stays there for the next read."""
    buf = b""
    while True:
        ahead = conn.recv(LINE_BYTES, socket.MSG_PEEK)
        if not ahead:
            return buf
        end = ahead.find(b"\n")
        want = len(ahead) if end < 0 else end + 1
        while want:
            chunk = conn.recv(want)
            if not chunk:
                return buf
            buf, want = buf + chunk, want - len(chunk)
        if end >= 0:
            return buf


def send(conn: socket.socket, message: Message | dict) -> None:
    """Send one message (or a zygote request's JSON, `zygote_request_to_json`) as a line."""
    data = message.to_json() if isinstance(message, Message) else message
    conn.sendall(json_line(data))


def json_line(data: dict) -> bytes:
    return json.dumps(data).encode() + b"\n"


def ask(sock_path: str, request: KernelStart | RunnerStart) -> tuple[int, socket.socket] | None:
    """Ask the zygote for a child: (its pid, the connection that reports its exit), or None (the
    zygote is gone or answered nothing readable)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(sock_path)
        conn.sendall(json_line(zygote_request_to_json(request)))
        started = Started.loads(read_line(conn))
    except (OSError, MessageError) as exc:
        log.debug("the zygote at %s gave no child: %s", sock_path, exc)
        conn.close()
        return None
    return started.pid, conn


def wait_exit(conn: socket.socket, timeout: float | None = None) -> int | None:
    """The exit code the zygote reports for the child of `conn`; None when `timeout` passes first, 1
    when the zygote is gone or says nothing readable."""
    conn.settimeout(timeout)
    while True:
        try:
            line = read_line(conn)
            break
        except InterruptedError:  # a signal the stand-in forwards: keep waiting
            continue
        except (socket.timeout, TimeoutError):
            return None
        except OSError as exc:
            log.debug("the zygote's connection failed while waiting for a child's exit: %s", exc)
            return 1
    try:
        return Exited.loads(line).code if line else 1
    except MessageError as exc:
        log.debug("the zygote's exit report is unreadable: %s", exc)
        return 1
