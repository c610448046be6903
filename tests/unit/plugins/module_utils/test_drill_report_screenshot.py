"""The drill report's HTML page in a real browser: headless Chromium renders it to a PNG, and the picture is checked
(size, not blank, the header band, green timeline bars of succeeded steps, the badge colours). Chromium comes from
bindep.txt (profile `test`, installed by scripts/setup); without it the test fails rather than skip."""
import os
import shutil
import struct
import subprocess
import zlib


from ansible_collections.dr.asr.plugins.module_utils import _drill_report as dr
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import facts

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
WIDTH, HEIGHT = 1280, 2000


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG, with the stdlib only."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6), "unexpected PNG format %s" % (header,)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def near(pixel, rgb, tolerance=24):
    return all(abs(p - q) <= tolerance for p, q in zip(pixel, rgb))


def screenshot(html_path, png_path, profile):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           "--user-data-dir=%s" % profile, "--screenshot=%s" % png_path, "--window-size=%d,%d" % (WIDTH, HEIGHT),
           "file://%s" % html_path]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert os.path.exists(png_path), "chromium made no screenshot: %s %s" % (result.stdout, result.stderr[-3000:])


def test_report_renders_in_chromium(tmp_path):
    assert CHROMIUM, "chromium is not installed: scripts/setup installs it (bindep.txt, profile test)"
    f = facts()
    f["vms"][0]["smoke"][0].update(rc=3, passed=False, message="rc=3 on db-01", stdout="boom")   # one red badge
    page = tmp_path / "drill.html"
    page.write_text(dr.to_html(dr.build(f)), encoding="utf-8")
    png = tmp_path / "drill.png"
    screenshot(str(page), str(png), str(tmp_path / "profile"))
    keep = os.environ.get("DR_ASR_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(str(png), keep)
    width, height, rows = read_png(str(png))
    assert (width, height) == (WIDTH, HEIGHT)
    pixels = [p for row in rows[::4] for p in row[::4]]
    assert len(set(pixels)) > 100, "the page looks blank"
    # the header band: the report's dark blue across the top
    assert sum(1 for p in rows[10] if near(p, (0x0b, 0x3d, 0x6e))) > width * 0.9
    # the page background, not white everywhere: the light grey of the body below the header
    assert near(rows[HEIGHT - 5][5], (0xf3, 0xf5, 0xf8))
    # the timeline: green bars of the succeeded steps (#22a06b) and the blue of the group steps (#2563eb)
    assert sum(1 for p in pixels if near(p, (0x22, 0xa0, 0x6b), 12)) > 30
    assert sum(1 for p in pixels if near(p, (0x25, 0x63, 0xeb), 12)) > 30
    # badges: passed (green on light green) and failed (light red)
    assert sum(1 for p in pixels if near(p, (0xd6, 0xf5, 0xe3), 6)) > 20
    assert sum(1 for p in pixels if near(p, (0xfd, 0xe0, 0xe0), 6)) > 10
    # content reaches down the page (sections on white), not only the header
    white_rows = [y for y in range(0, HEIGHT, 10) if sum(1 for p in rows[y][::8] if p == (255, 255, 255)) > 40]
    assert len(white_rows) > 40 and max(white_rows) > 600
