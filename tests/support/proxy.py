"""A TCP proxy that causes real network faults between a client and Dovecot.

Faults: reset every live connection (RST), stall (blackhole: bytes are held back, nothing is
forwarded either way until unstalled), refuse new connections, cut a connection after it has
forwarded N more bytes from the server (a FETCH dying mid-response), and cut every new
connection after N bytes. Plain threads, one pair per
connection; every blocking call has a timeout so ``stop()`` cannot hang.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from types import TracebackType

_TICK = 0.05


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), the way a crashed peer or a middlebox drops a connection."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One proxied connection: client <-> upstream."""

    def __init__(self, proxy: FaultProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.closed = threading.Event()
        self.budget: int | None = proxy._cut_every

    def run(self) -> None:
        try:
            while self.proxy._stalled.is_set() and not self.closed.is_set():
                self.closed.wait(_TICK)  # stalled before connecting upstream: a dead server
            if self.closed.is_set():
                return
            self.upstream = socket.create_connection(
                (self.proxy.upstream_host, self.proxy.upstream_port), timeout=5)
            if self.closed.is_set():  # reset while connecting
                raise OSError("closed")
        except OSError:
            self.close(reset=True)
            return
        try:
            for sock in (self.client, self.upstream):
                sock.settimeout(_TICK)
        except OSError:  # reset while connecting
            self.close(reset=True)
            return
        threading.Thread(target=self._pump, args=(self.upstream, self.client, True),
                         daemon=True).start()
        self._pump(self.client, self.upstream, False)

    def _pump(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        while not self.closed.is_set():
            if self.proxy._stalled.is_set():
                self.closed.wait(_TICK)
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if downstream and self.budget is not None:
                if len(data) >= self.budget:
                    with contextlib.suppress(OSError):
                        dst.sendall(data[: self.budget])
                    self.close(reset=True)
                    return
                self.budget -= len(data)
            try:
                if downstream and self.proxy._fragment:
                    self._send_in_pieces(dst, data, self.proxy._fragment)
                else:
                    dst.sendall(data)
            except OSError:
                break
        self.close(reset=False)

    def _send_in_pieces(self, dst: socket.socket, data: bytes, size: int) -> None:
        """Separate small segments, each after a pause: a response line split on the wire."""
        for start in range(0, len(data), size):
            dst.sendall(data[start : start + size])
            time.sleep(0.005)

    def close(self, *, reset: bool) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            if reset:
                _reset(sock)
            else:
                with contextlib.suppress(OSError):
                    sock.close()
        self.proxy._forget(self)


class FaultProxy:
    """Listens on a free loopback port and forwards to ``upstream_host:upstream_port``."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_TICK)
        self.port: int = self._listener.getsockname()[1]
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._stalled = threading.Event()
        self._refusing = False
        self._cut_every: int | None = None
        self._fragment: int | None = None
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.accepted_total = 0

    def start(self) -> FaultProxy:
        self._running.set()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        if self._thread.is_alive():
            self._thread.join(2)
        with contextlib.suppress(OSError):
            self._listener.close()
        self.reset_all()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._links)

    def set_upstream(self, port: int) -> None:
        """New connections go to this port (after a server restart on a fresh port)."""
        self.upstream_port = port

    def reset_all(self) -> None:
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close(reset=True)

    def stall(self, on: bool) -> None:
        """Blackhole: hold every byte (both ways, new connections too) until turned off."""
        if on:
            self._stalled.set()
        else:
            self._stalled.clear()

    def refuse(self, on: bool) -> None:
        """New connections are reset as soon as they are accepted."""
        self._refusing = on

    def cut_after(self, n_bytes: int | None) -> None:
        """Reset each live connection once it forwarded ``n_bytes`` more to the client.

        New connections are not affected, so a client that reconnects gets through.
        """
        with self._lock:
            for link in self._links:
                link.budget = n_bytes

    def cut_every(self, n_bytes: int | None) -> None:
        """Reset every new connection once it forwarded ``n_bytes`` to the client.

        Faults measured in bytes, not time: each connection gets some work done before it
        dies, however fast or slow the machine is.
        """
        self._cut_every = n_bytes

    def fragment(self, size: int | None) -> None:
        """Forward the server's bytes in ``size``-byte segments with pauses (None: whole)."""
        self._fragment = size

    def _accept_loop(self) -> None:
        while self._running.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted_total += 1
            if self._refusing:
                _reset(client)
                continue
            link = _Link(self, client)
            with self._lock:
                self._links.add(link)
            threading.Thread(target=link.run, daemon=True).start()

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)
