"""Real photographs uploaded to a model: how many are answered "none", and what the rest are read as.

    python benchmarks/real_photos.py                                   # assets/mnist, 300 crops
    python benchmarks/real_photos.py --model assets/mnist assets/fashion-mnist --show sheet.png

`evaluate --junk`'s photo crops and textures are generated. The two photographs scikit-learn ships
(`sklearn.datasets.load_sample_images`: a temple in China, a flower; 640x427 colour JPEGs) are real
pictures that no part of this project trained or calibrated on, so crops of them are an honest check
of the "photos" promise, as scikit-learn's digits are of real handwriting. Each crop is square or
4:3, 60 px to the whole picture, at a random place (seeded), saved as a JPEG and read exactly as
`classify` reads an uploaded file (`image_to_model_input`, then the bundle's "none" rule).
`--show` writes a contact sheet of the crops given a class (the crop beside the model input it became).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def photo_crops(n: int, seed: int = 0) -> list[bytes]:
    """n JPEG crops of scikit-learn's two sample photographs, alternating between them."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(n):
        photo = photos[i % len(photos)]
        h, w, _ = photo.shape
        side = int(rng.integers(60, min(h, w) + 1))
        tall, wide = (side, side) if rng.random() < 0.5 else (int(side * 0.75), side)
        y, x = int(rng.integers(0, h - tall + 1)), int(rng.integers(0, w - wide + 1))
        buffer = io.BytesIO()
        Image.fromarray(photo[y : y + tall, x : x + wide]).save(buffer, format="JPEG", quality=88)
        crops.append(buffer.getvalue())
    return crops


def read_uploads(model, files: list[bytes]) -> list[tuple[str, str | None, np.ndarray | None]]:
    """(answer, reason, model input) per image file, as `classify` reads an upload: a class name, or
    "none" with its reason ("blank" and "no clear ink" included)."""
    from latent.bundle.reading import read_input
    from latent.errors import BlankImageError
    from latent.inputs.catalog import dataset_info
    from latent.inputs.preprocess import image_to_model_input

    kind = dataset_info(model.manifest["dataset"]["name"]).reading
    answers: list[tuple[str, str | None, np.ndarray | None]] = []
    for i, data in enumerate(files):
        try:
            prepared = image_to_model_input(data, name=f"upload {i}", reading=kind)
        except BlankImageError as exc:
            answers.append(("none", exc.reason, None))
            continue
        reading = read_input(model, prepared.x, rule=model.rule, fills_square=prepared.fills_square)
        answers.append((reading.name, reading.reason, prepared.x))
    return answers


def contact_sheet(crops: list[bytes], answers, path: str, columns: int = 4, tile: int = 84) -> int:
    """Write the crops given a class beside their model inputs; returns how many."""
    from PIL import Image

    tiles = []
    for data, (label, _, x) in zip(crops, answers, strict=True):
        if label == "none" or x is None:
            continue
        crop = Image.open(io.BytesIO(data)).convert("L").resize((tile, tile))
        ink = np.asarray(x, dtype=np.float32)
        ink = ink * 255 if ink.max() <= 1.0 else ink  # a model input is uint8 or float in [0, 1]
        seen = Image.fromarray(ink.astype(np.uint8)).resize((tile, tile), Image.Resampling.NEAREST)
        tiles.append(np.hstack([np.asarray(crop), np.asarray(seen)]))
    if tiles:
        blank = np.zeros_like(tiles[0])
        rows = [tiles[i : i + columns] for i in range(0, len(tiles), columns)]
        Image.fromarray(np.vstack([np.hstack(r + [blank] * (columns - len(r))) for r in rows])).save(path)
    return len(tiles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", nargs="+", default=[str(ROOT / "assets" / "mnist")], help="bundle folders")
    parser.add_argument("--n", type=int, default=300, help="crops (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the crops' sizes and places")
    parser.add_argument("--show", help="write a contact sheet of the crops given a class (PNG; one per model)")
    args = parser.parse_args(argv)

    from latent.bundle.model import LatentModel

    crops = photo_crops(args.n, args.seed)
    print(f"{args.n} crops of scikit-learn's two sample photographs (seed {args.seed}), read as uploads")
    for i, folder in enumerate(args.model):
        model = LatentModel.load(folder)
        answers = read_uploads(model, crops)
        counts = Counter(label for label, _, _ in answers)
        reasons = Counter(reason for label, reason, _ in answers if label == "none")
        given = ", ".join(f"{label} {k}" for label, k in counts.most_common() if label != "none") or "-"
        none = counts["none"]
        print(f'{Path(folder).name}: answered "none" {none / len(answers):.1%} ({none} of {len(answers)})')
        print("    reasons: " + ", ".join(f"{reason} {k}" for reason, k in reasons.most_common()))
        print(f"    given a class: {given}")
        if args.show:
            out = args.show if len(args.model) == 1 else str(Path(args.show).with_suffix(f".{i}.png"))
            print(f"    {contact_sheet(crops, answers, out)} crops given a class: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
