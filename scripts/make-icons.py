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

def seg_dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    vx, vy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)))
    return math.hypot(px - ax - t * vx, py - ay - t * vy)

def poly_inside(px, py, pts):
    inside = False
    for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1]):
        if (ay > py) != (by > py) and px < ax + (py - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside

# Tray icons: the status shows as a shape as well as a colour, for colour-blind users and
# monochrome trays. Up: circle with a tick; degraded: triangle with "!"; down: square with a
# cross; unknown: hollow ring with a dot.
TRAY = {
    "up": (22, 163, 74),
    "degraded": (217, 119, 6),
    "down": (220, 38, 38),
    "unknown": (100, 116, 139),
}

def tray_pixel(kind, u, v):
    """Colour and coverage at unit coordinates (u, v), sampled."""
    white = (255, 255, 255)
    colour = TRAY[kind]
    if kind == "up":
        if math.hypot(u - 0.5, v - 0.5) > 0.47:
            return None
        mark = [(0.28, 0.52), (0.44, 0.68), (0.73, 0.36)]
        d = min(seg_dist(u, v, a, b) for a, b in zip(mark, mark[1:]))
        return white if d < 0.065 else colour
    if kind == "degraded":
        if not poly_inside(u, v, [(0.5, 0.04), (0.97, 0.93), (0.03, 0.93)]):
            return None
        if seg_dist(u, v, (0.5, 0.36), (0.5, 0.62)) < 0.06 or math.hypot(u - 0.5, v - 0.77) < 0.06:
            return white
        return colour
    if kind == "down":
        if not (0.06 < u < 0.94 and 0.06 < v < 0.94):
            return None
        d = min(seg_dist(u, v, (0.28, 0.28), (0.72, 0.72)), seg_dist(u, v, (0.72, 0.28), (0.28, 0.72)))
        return white if d < 0.07 else colour
    r = math.hypot(u - 0.5, v - 0.5)
    if 0.33 < r < 0.47 or r < 0.12:
        return colour
    return None

def draw_tray(kind, size, samples=4):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            acc = [0.0, 0.0, 0.0]
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    c = tray_pixel(kind, (x + (sx + 0.5) / samples) / size, (y + (sy + 0.5) / samples) / size)
                    if c is not None:
                        hits += 1
                        for i in range(3):
                            acc[i] += c[i]
            if hits == 0:
                row += bytes((0, 0, 0, 0))
            else:
                row += bytes((*(round(a / hits) for a in acc), round(255 * hits / samples ** 2)))
        rows.append(bytes(row))
    return rows

def png(size, rows=None):
    rows = rows if rows is not None else draw(size)
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
    for kind in TRAY:
        (out / f"tray-{kind}.png").write_bytes(png(64, draw_tray(kind, 64)))

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icons")
