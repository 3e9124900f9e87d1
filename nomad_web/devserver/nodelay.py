"""Development and test servers that send each reply as soon as it is written.

Django's server (``wsgiref``) writes a reply's headers and its body in two sends. On a
kept-alive connection, Nagle's algorithm then holds the body back until the browser has
acknowledged the headers, which it does only after its delayed-ACK timer (40 ms on
Linux): every request is answered about 40 ms late. TCP_NODELAY on each accepted
connection sends the body at once (gunicorn, used in production, sets it itself).
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer


def _no_delay(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not a TCP socket: nothing to delay
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayWSGIServer(WSGIServer):
    """``manage.py runserver``'s server."""

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        _no_delay(connection)
        return connection, address


class NoDelayThreadedWSGIServer(ThreadedWSGIServer):
    """The browser tests' live server (``LiveServerThread.server_class``)."""

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        _no_delay(connection)
        return connection, address
