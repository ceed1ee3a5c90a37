"""A desktop's notification server, so that a test can tap a notification as a person does.

Chromium on Linux shows web notifications through the freedesktop.org notification service
(``org.freedesktop.Notifications`` on the session D-Bus) when one is running, and a tap on
one is that service's ``ActionInvoked`` signal with the ``default`` action. Chromium then
dispatches ``notificationclick`` to the service worker as a real user activation, which
lets it focus a window or open a new one (``clients.openWindow`` refuses otherwise).

This module starts a private session bus (``dbus-daemon``), owns that name on it with a
small D-Bus client written here (the wire protocol's few types it needs; no D-Bus library is
installed), keeps what Chromium asks it to show, and "taps" a notification on request. Start
Chromium with ``DBUS_SESSION_BUS_ADDRESS`` set to ``bus.address``.

Spec: https://specifications.freedesktop.org/notification-spec/latest/ (the protocol:
https://dbus.freedesktop.org/doc/dbus-specification.html).
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 0x1


# --------------------------------------------------------------------------- marshalling


class _Writer:
    def __init__(self) -> None:
        self.data = bytearray()

    def align(self, n: int) -> None:
        self.data += b"\0" * (-len(self.data) % n)

    def write(self, signature: str, value: Any) -> None:
        code = signature[0]
        if code == "y":
            self.data += struct.pack("<B", value)
        elif code in "ub":
            self.align(4)
            self.data += struct.pack("<I", int(value))
        elif code == "i":
            self.align(4)
            self.data += struct.pack("<i", value)
        elif code in "so":
            raw = value.encode()
            self.align(4)
            self.data += struct.pack("<I", len(raw)) + raw + b"\0"
        elif code == "g":
            raw = value.encode()
            self.data += struct.pack("<B", len(raw)) + raw + b"\0"
        elif code == "v":
            inner, payload = value
            self.write("g", inner)
            self.write(inner, payload)
        elif code == "a":
            item = _single(signature[1:])
            self.align(4)
            at = len(self.data)
            self.data += b"\0\0\0\0"
            self.align(8 if item[0] in "({" else _ALIGN.get(item[0], 1))
            start = len(self.data)
            for element in value:
                self.write(item, element)
            struct.pack_into("<I", self.data, at, len(self.data) - start)
        elif code in "({":
            self.align(8)
            for part, element in zip(_parts(signature[1:-1]), value, strict=True):
                self.write(part, element)
        else:
            raise ValueError(f"cannot write {signature!r}")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def align(self, n: int) -> None:
        self.at += -self.at % n

    def read(self, signature: str) -> Any:
        code = signature[0]
        if code == "y":
            self.at += 1
            return self.data[self.at - 1]
        if code in "ubi":
            self.align(4)
            (value,) = struct.unpack_from("<i" if code == "i" else "<I", self.data, self.at)
            self.at += 4
            return bool(value) if code == "b" else value
        if code in "xtd":
            self.align(8)
            self.at += 8
            return None
        if code == "n" or code == "q":
            self.align(2)
            self.at += 2
            return None
        if code in "soh":
            self.align(4)
            (length,) = struct.unpack_from("<I", self.data, self.at)
            self.at += 4
            text = self.data[self.at : self.at + length].decode()
            self.at += length + 1
            return text
        if code == "g":
            length = self.data[self.at]
            text = self.data[self.at + 1 : self.at + 1 + length].decode()
            self.at += length + 2
            return text
        if code == "v":
            return self.read(self.read("g"))
        if code == "a":
            item = _single(signature[1:])
            self.align(4)
            (length,) = struct.unpack_from("<I", self.data, self.at)
            self.at += 4
            self.align(8 if item[0] in "({" else _ALIGN.get(item[0], 1))
            end = self.at + length
            items = []
            while self.at < end:
                items.append(self.read(item))
            return dict(items) if item[0] == "{" else items
        if code in "({":
            self.align(8)
            return tuple(self.read(part) for part in _parts(signature[1:-1]))
        raise ValueError(f"cannot read {signature!r}")


_ALIGN = {"y": 1, "g": 1, "n": 2, "q": 2, "b": 4, "i": 4, "u": 4, "s": 4, "o": 4, "a": 4}
_ALIGN.update({"x": 8, "t": 8, "d": 8, "h": 4, "v": 1})


def _single(signature: str) -> str:
    """The first complete type of ``signature``."""
    if signature[0] == "a":
        return "a" + _single(signature[1:])
    if signature[0] in "({":
        depth = 0
        for i, char in enumerate(signature):
            depth += char in "({"
            depth -= char in ")}"
            if depth == 0:
                return signature[: i + 1]
    return signature[0]


def _parts(signature: str) -> list[str]:
    parts = []
    while signature:
        part = _single(signature)
        parts.append(part)
        signature = signature[len(part) :]
    return parts


# --------------------------------------------------------------------------- the server


@dataclass
class Shown:
    id: int
    summary: str
    body: str
    actions: list[str]


@dataclass
class NotificationServer:
    address: str
    daemon: subprocess.Popen[bytes]
    sock: socket.socket
    shown: list[Shown] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    serial: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def _send(
        self, kind: int, fields: list[tuple[int, str, Any]], signature: str, body: Any
    ) -> int:
        with self.lock:
            self.serial += 1
            payload = _Writer()
            if signature:
                payload.write(f"({signature})", body)
                data = bytes(payload.data)
            else:
                data = b""
            if signature:
                fields = [*fields, (8, "g", signature)]
            head = _Writer()
            head.data += struct.pack("<cBBBII", b"l", kind, 0, 1, len(data), self.serial)
            head.write("a(yv)", [(code, (sig, value)) for code, sig, value in fields])
            head.align(8)
            self.sock.sendall(bytes(head.data) + data)
            return self.serial

    def _reply(self, to: dict[int, Any], serial: int, signature: str = "", body: Any = ()) -> None:
        self._send(METHOD_RETURN, [(5, "u", serial), (6, "s", to[7])], signature, body)

    def _call_bus(self, member: str, signature: str, body: Any) -> None:
        self._send(
            METHOD_CALL,
            [
                (1, "o", "/org/freedesktop/DBus"),
                (2, "s", "org.freedesktop.DBus"),
                (3, "s", member),
                (6, "s", "org.freedesktop.DBus"),
            ],
            signature,
            body,
        )

    def _read_message(self, stream: Any) -> tuple[int, int, int, dict[int, Any], bytes] | None:
        fixed = stream.read(16)
        if len(fixed) < 16:
            return None
        _, kind, flags, _, body_length, serial, fields_length = struct.unpack("<cBBBIII", fixed)
        rest = stream.read(fields_length + (-(16 + fields_length) % 8) + body_length)
        header = _Reader(fixed + rest)
        header.at = 12
        fields = dict(header.read("a(yv)"))
        header.align(8)
        return kind, flags, serial, fields, (fixed + rest)[header.at :]

    def _serve(self) -> None:
        stream = self.sock.makefile("rb")
        next_id = 0
        while (message := self._read_message(stream)) is not None:
            kind, flags, serial, fields, body = message
            if kind != METHOD_CALL or (fields.get(6) != NAME and fields.get(2) != NAME):
                continue
            member = fields.get(3)
            args = _Reader(body).read(f"({fields[8]})") if 8 in fields else ()
            if member == "GetCapabilities":
                self._reply(fields, serial, "as", (["actions", "body"],))
            elif member == "GetServerInformation":
                self._reply(fields, serial, "ssss", ("relief-tests", "Relief", "1", "1.2"))
            elif member == "Notify":
                next_id += 1
                shown = Shown(id=next_id, summary=args[3], body=args[4], actions=list(args[5]))
                with self.changed:
                    self.shown.append(shown)
                    self.changed.notify_all()
                self._reply(fields, serial, "u", (next_id,))
            elif member == "CloseNotification":
                with self.changed:
                    self.closed.append(args[0])
                    self.changed.notify_all()
                if not flags & NO_REPLY_EXPECTED:
                    self._reply(fields, serial)
            elif not flags & NO_REPLY_EXPECTED:
                self._send(
                    ERROR,
                    [
                        (4, "s", "org.freedesktop.DBus.Error.UnknownMethod"),
                        (5, "u", serial),
                        (6, "s", fields[7]),
                    ],
                    "s",
                    (f"no method {member}",),
                )

    def wait_for(self, count: int, timeout: float = 15) -> list[Shown]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.shown) >= count, timeout), (
                f"{len(self.shown)} notifications shown, expected {count}"
            )
            return list(self.shown)

    def wait_for_closed(self, shown: Shown, timeout: float = 15) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: shown.id in self.closed, timeout), (
                f"notification {shown.id} was not closed"
            )

    def tap(self, shown: Shown) -> None:
        """What the desktop sends when the person taps the notification's body."""
        self._send(
            SIGNAL,
            [(1, "o", PATH), (2, "s", NAME), (3, "s", "ActionInvoked")],
            "us",
            (shown.id, "default"),
        )

    def stop(self) -> None:
        self.sock.close()
        self.daemon.terminate()
        self.daemon.wait(timeout=10)


def start_notification_server() -> NotificationServer:
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().decode().strip()
    path = dict(part.split("=", 1) for part in address.split(":", 1)[1].split(","))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if "abstract" in path:
        sock.connect("\0" + path["abstract"])
    else:
        sock.connect(path["path"])
    sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    assert sock.recv(4096).startswith(b"OK "), "the bus refused us"
    sock.sendall(b"BEGIN\r\n")
    server = NotificationServer(address=address, daemon=daemon, sock=sock)
    server._call_bus("Hello", "", ())
    server._call_bus("RequestName", "su", (NAME, 4))  # DO_NOT_QUEUE
    threading.Thread(target=server._serve, daemon=True).start()
    return server
