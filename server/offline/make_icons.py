"""Draws the app icons (ours: the two linked rings of icon.svg) as PNG without any image library.

    .venv/bin/python -m server.offline.make_icons     # writes web/static/icons/icon-*.png

"any" icons have rounded corners; the maskable one fills the square and keeps the rings
inside the central 80% safe zone.
"""
from __future__ import annotations

import struct
import zlib

from server.config import WEB

GREEN = (0x1D, 0x5C, 0x4D)
WHITE = (0xFF, 0xFF, 0xFF)


def _png(size: int, pixels: list[bytes]) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def draw(size: int, *, maskable: bool) -> bytes:
    s = size / 512
    ring_scale = 0.8 if maskable else 1.0  # maskable: the rings stay inside the safe zone
    centres = [(256 + (x - 256) * ring_scale, 256) for x in (176, 336)]
    r, half = 88 * ring_scale, 20 * ring_scale
    corner = 0 if maskable else 96
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            x, y = (px + 0.5) / s, (py + 0.5) / s
            inside = True
            if corner:
                cx = min(max(x, corner), 512 - corner)
                cy = min(max(y, corner), 512 - corner)
                inside = (x - cx) ** 2 + (y - cy) ** 2 <= corner ** 2
            if not inside:
                row += bytes((0, 0, 0, 0))
                continue
            ring = any(abs(((x - a) ** 2 + (y - b) ** 2) ** 0.5 - r) <= half for a, b in centres)
            row += bytes((*(WHITE if ring else GREEN), 255))
        rows.append(bytes(row))
    return _png(size, rows)


def main() -> None:
    out = WEB / "static" / "icons"
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True), ("apple-touch-icon.png", 180, True)):
        (out / name).write_bytes(draw(size, maskable=maskable))
        print("wrote", out / name)


if __name__ == "__main__":
    main()
