"""Peak memory of `python -m latent classify` on the worst images it accepts, against a 28x28 image.

Target (issue 10): peak RSS on any accepted image <= 100 MB above the same command on a 28x28
image. The images are generated into a temporary folder: the largest PNG (16-bit RGBA, which
Pillow holds at 4 bytes a pixel) and other formats at the pixel limit, a 48 MP phone-sized JPEG,
the largest baseline JPEG, and the largest progressive JPEG (whose DCT coefficients libjpeg keeps
whole). Each command runs in its own process; its peak RSS is read with getrusage(RUSAGE_CHILDREN)
in a wrapper that starts nothing else. Prints one row per image.

    python benchmarks/image_memory.py [--model assets/mnist] [--root CHECKOUT]

`--root` runs the command in another checkout (e.g. one before this fix) for comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latent.inputs.imagefile import FORMAT_MAX_PIXELS, MAX_JPEG_COEFFICIENT_BYTES, MAX_JPEG_PIXELS, MAX_PIXELS  # noqa: E402

WRAPPER = (
    "import resource, subprocess, sys, time; t = time.time(); "
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, time.time() - t); "
    "print(r.stdout.strip()[-200:]); print(r.stderr.strip()[-300:])"
)


def digit_on_paper(width: int, height: int, *, mode: str = "L") -> Image.Image:
    """A dark 4 drawn across the middle of a light, slightly graded sheet (compresses like a photo)."""
    ramp = np.linspace(225, 240, width, dtype=np.float32)[None, :] + np.zeros((height, 1), np.float32)
    img = Image.fromarray(ramp.astype(np.uint8), mode="L")
    pen = ImageDraw.Draw(img)
    s = min(width, height)
    x0, y0 = (width - s) // 2, (height - s) // 2
    pts = [(0.6, 0.1), (0.15, 0.65), (0.85, 0.65)]
    pen.line([(x0 + x * s, y0 + y * s) for x, y in pts], fill=30, width=max(2, s // 25))
    pen.line([(x0 + 0.62 * s, y0 + 0.35 * s), (x0 + 0.62 * s, y0 + 0.92 * s)], fill=30, width=max(2, s // 25))
    return img.convert(mode) if mode != "L" else img


def png16_rgba(gray: Image.Image, path: Path) -> None:
    """16-bit RGBA PNG written row by row (Pillow writes RGBA at 8 bits only): ink opaque, paper transparent."""
    width, height = gray.size
    arr = np.asarray(gray)
    comp = zlib.compressobj(6)
    chunks = []
    for y in range(height):
        row = arr[y].astype(np.uint16) * 257
        rgba = np.stack([row, row, row, np.where(row < 30000, 65535, 0).astype(np.uint16)], axis=1)
        chunks.append(comp.compress(b"\x00" + rgba.astype(">u2").tobytes()))
    chunks.append(comp.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(chunks)) + chunk(b"IEND", b"")
    )


def make_images(folder: Path) -> dict[str, Path]:
    side = math.isqrt(MAX_PIXELS)
    images = {}

    def add(name: str, writer) -> None:
        images[name] = folder / name
        writer(images[name])

    add("28x28.png", lambda p: digit_on_paper(28, 28).save(p))
    add("canvas-280x280-rgba.png", lambda p: digit_on_paper(280, 280, mode="RGBA").save(p))
    add(f"png16-rgba-{side}x{side}.png", lambda p: png16_rgba(digit_on_paper(side, side), p))
    add(
        f"png-palette-alpha-{side}x{side}.png",
        lambda p: digit_on_paper(side, side).convert("P").save(p, transparency=0),
    )
    add(
        f"tiff-rgba-deflate-{side}x{side}.tif",
        lambda p: digit_on_paper(side, side, mode="RGBA").save(p, compression="tiff_adobe_deflate"),
    )
    add(
        f"tiff-float-{side}x{side}.tif",
        lambda p: digit_on_paper(side, side).convert("F").save(p, compression="tiff_adobe_deflate"),
    )
    webp = math.isqrt(FORMAT_MAX_PIXELS["WEBP"])
    add(
        f"webp-rgba-{webp}x{webp}.webp",
        lambda p: digit_on_paper(webp, webp, mode="RGBA").save(p, lossless=True, method=0),
    )
    add(f"gif-{side}x{side}.gif", lambda p: digit_on_paper(side, side).convert("P").save(p))
    add(f"bmp-rgb-{side}x{side}.bmp", lambda p: digit_on_paper(side, side, mode="RGB").save(p))
    add("jpeg-48mp-8000x6000.jpg", lambda p: digit_on_paper(8000, 6000, mode="RGB").save(p, quality=90))
    big = math.isqrt(MAX_JPEG_PIXELS)
    add(f"jpeg-gray-{big}x{big}.jpg", lambda p: digit_on_paper(big, big).save(p, quality=90))
    # 4:2:0 colour: 2 bytes x 1.5 samples a pixel of coefficients; the largest 3:2 photo within the budget
    w = int(math.sqrt(MAX_JPEG_COEFFICIENT_BYTES / 3 * 1.5)) // 16 * 16 - 16
    h = w * 2 // 3 // 16 * 16
    add(
        f"jpeg-progressive-{w}x{h}.jpg",
        lambda p: digit_on_paper(w, h, mode="RGB").save(p, quality=90, progressive=True, subsampling=2),
    )
    return images


def peak_rss_mb(model: str, image: Path, root: Path) -> tuple[float, int, float, str]:
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "latent", "classify", "--model", model, str(image)]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=True).stdout.splitlines()
    kb, rc, seconds = out[0].split()
    answer = (out[1] if int(rc) == 0 else out[2]) if len(out) > 2 else ""
    return int(kb) / 1024, int(rc), float(seconds), answer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="assets/mnist")
    parser.add_argument("--root", default=str(ROOT), help="checkout to run `python -m latent classify` in")
    parser.add_argument("--json", action="store_true", help="also print the rows as one JSON line")
    args = parser.parse_args(argv)
    root = Path(args.root)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.time()
        images = make_images(Path(tmp))
        print(f"generated {len(images)} images in {time.time() - started:.0f}s; classify with {args.model} in {root}")
        rows = []
        base = None
        print("| image | file MB | peak RSS MB | above 28x28 MB | exit | seconds | answer |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for name, path in images.items():
            rss, rc, seconds, answer = peak_rss_mb(args.model, path, root)
            base = rss if base is None else base
            rows.append(
                {
                    "image": name,
                    "file_mb": path.stat().st_size / 2**20,
                    "peak_rss_mb": rss,
                    "above_base_mb": rss - base,
                    "exit": rc,
                    "seconds": seconds,
                    "answer": answer,
                }
            )
            print(
                f"| {name} | {rows[-1]['file_mb']:.1f} | {rss:.0f} | {rss - base:+.0f} | {rc} | {seconds:.1f} | "
                f"{answer.replace(tmp + os.sep, '')} |",
                flush=True,
            )
    worst = max(r["above_base_mb"] for r in rows if r["exit"] == 0)
    print(f"worst accepted image: {worst:+.0f} MB above the 28x28 image (target <= +100 MB)")
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
