"""Draws the opsdeck icon (a pulse line on a rounded tile) and writes every size the desktop
bundles need, with the standard library only (no image library is required to build)."""
import math
import struct
import sys
import zlib
from pathlib import Path

def draw(size):
    bg = (30, 41, 59)
    fg = (52, 211, 153)
    radius = size * 0.22
    # the pulse: flat, up, down, up, flat (in unit coordinates)
    pts = [(0.14, 0.55), (0.36, 0.55), (0.45, 0.30), (0.56, 0.74), (0.64, 0.48), (0.86, 0.48)]
    pts = [(x * size, y * size) for x, y in pts]
    width = size * 0.075
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            cx, cy = x + 0.5, y + 0.5
            # rounded-square coverage
            dx = max(radius - cx, 0, cx - (size - radius))
            dy = max(radius - cy, 0, cy - (size - radius))
            d = math.hypot(dx, dy) - radius
            alpha = max(0.0, min(1.0, 0.5 - d))
            if alpha == 0:
                row += bytes((0, 0, 0, 0))
                continue
            # distance to the pulse polyline
            best = 1e9
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                vx, vy = bx - ax, by - ay
                t = max(0.0, min(1.0, ((cx - ax) * vx + (cy - ay) * vy) / (vx * vx + vy * vy)))
                best = min(best, math.hypot(cx - ax - t * vx, cy - ay - t * vy))
            k = max(0.0, min(1.0, width / 2 - best + 0.5))
            c = tuple(round(b * (1 - k) + f * k) for b, f in zip(bg, fg))
            row += bytes((*c, round(alpha * 255)))
        rows.append(bytes(row))
    return rows

def png(size):
    rows = draw(size)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")

def ico(images):
    # ICO with embedded PNGs (supported since Windows Vista)
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return head + entries + blobs

def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = {}
    def get(size):
        if size not in cache:
            cache[size] = png(size)
        return cache[size]
    for name, size in [("32x32.png", 32), ("64x64.png", 64), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (out / name).write_bytes(get(size))
    (out / "icon.ico").write_bytes(ico([(16, get(16)), (32, get(32)), (48, get(48)), (256, get(256))]))

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icons")
