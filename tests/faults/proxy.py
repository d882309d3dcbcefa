"""A TCP proxy on loopback that passes, stalls or cuts connections on command (for PostgreSQL and Redis).

``pass``: bytes flow both ways. ``stall``: the server looks hung: connections are accepted and held, and
bytes already in flight stay where they are (nothing is read or forwarded; TCP still acknowledges them,
as a stopped server's kernel does). ``refuse``: connections are accepted and closed at once. ``cut()``
resets every open connection (RST), whatever the mode. One thread accepts; each connection gets a thread
that forwards both ways with ``select``, checking the mode every tick.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

TICK = 0.05  # seconds between two looks at the mode
MODES = ("pass", "stall", "refuse")


def reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), as a crashed peer or a firewall would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """Forward 127.0.0.1:``port`` to ``target`` (host, port) until told otherwise."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "pass"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TICK)
        self.port: int = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()  # every socket of every connection, for cut() and close()
        self.threads: list[threading.Thread] = []
        self.closed = threading.Event()
        self.generation = 0  # cut() bumps it: a connection's thread ends when it changes
        self.accepted = 0
        self._start(self._accept, "proxy-accept")

    def url(self, scheme: str, rest: str) -> str:
        """A URL naming the proxy: ``url("redis", "/0")`` → ``redis://127.0.0.1:<port>/0``."""
        return f"{scheme}://127.0.0.1:{self.port}{rest}"

    def set_mode(self, mode: str) -> None:
        """Switch to ``pass``, ``stall`` or ``refuse``."""
        assert mode in MODES, mode
        self.mode = mode

    def cut(self) -> None:
        """Reset every open connection now; the mode stays as it is."""
        with self.lock:
            self.generation += 1
            sockets, self.open = self.open, set()
        for sock in sockets:
            reset(sock)

    def close(self) -> None:
        """Stop accepting, reset every connection and wait for every thread of the proxy."""
        self.closed.set()
        self.cut()
        for thread in list(self.threads):
            thread.join(5)
        self.listener.close()
        assert not [t for t in self.threads if t.is_alive()], "a proxy thread did not end"

    def _start(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            if self.mode == "refuse":
                reset(client)
                continue
            with self.lock:
                self.open.add(client)
                generation = self.generation
            self._start(self._serve, f"proxy-link-{self.accepted}", client, generation)

    def _alive(self, generation: int) -> bool:
        return not self.closed.is_set() and self.generation == generation

    def _serve(self, client: socket.socket, generation: int) -> None:
        upstream = None
        try:
            while self.mode == "stall" and self._alive(generation):  # held: accepted, never answered
                self.closed.wait(TICK)
            if not self._alive(generation):
                return
            upstream = socket.create_connection(self.target, timeout=5)
            with self.lock:
                if self.generation != generation:
                    return
                self.open.add(upstream)
            self._pump(client, upstream, generation)
        except (OSError, ValueError):  # cut() closed a socket under us (select raises ValueError then)
            pass
        finally:
            with self.lock:
                self.open.discard(client)
                if upstream is not None:
                    self.open.discard(upstream)
            client.close()
            if upstream is not None:
                upstream.close()

    def _pump(self, client: socket.socket, upstream: socket.socket, generation: int) -> None:
        peer = {client: upstream, upstream: client}
        while self._alive(generation):
            if self.mode == "stall":
                self.closed.wait(TICK)
                continue
            readable, _, _ = select.select([client, upstream], [], [], TICK)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                peer[sock].sendall(data)
