"""What each dataset is, in one place: its title, how its pictures are read, what counts as foreign to it.

Every layer asks this record instead of testing dataset names: the Draw page (what to ask for, whether
photos are cleaned to ink), the "none" detector (which generated inputs are foreign, which are members)
and the `evaluate --junk` report.
"""

from __future__ import annotations

from dataclasses import dataclass

from .preprocess import INK, OBJECT

DRAWN_KINDS = ("letters (drawn)", "letters (fonts)", "symbols, other scripts", "scribbles", "shapes")
PICTURE_KINDS = ("letters on paper", "photo crops", "textures", "gradients", "noise")
DIGIT_KINDS = ("drawn digits", "drawn digits, thin pen", "drawn digits, thick pen", "font digits", "digits on paper")
VARIATIONS = ("thick pen", "thin pen", "slanted", "stretched to fill the box", "small, off-centre", "low resolution",
              "on paper")
SKLEARN_DIGITS = "sklearn digits (43 writers)"
# Kinds left out of the detector's training together when `evaluate --junk` measures it on what it never
# saw: without a whole family, no close cousin of the kind (fonts' letters for drawn ones) stays in.
FAMILIES = {"letters": ("letters (drawn)", "letters (fonts)", "letters on paper"),
            "photos and textures": ("photo crops", "textures"), "gradients and noise": ("gradients", "noise"),
            "digits": DIGIT_KINDS}


def family_of(kind: str) -> str:
    """The family a foreign kind is left out with (a kind in no family is its own)."""
    return next((name for name, kinds in FAMILIES.items() if kind in kinds), kind)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    what: str  # what to draw or upload, for page texts: "a digit"
    reading: str  # INK: photos are cleaned to ink on black; OBJECT: the picture is the object
    drawable: bool  # the canvas makes sense (people can draw the classes)
    foreign: tuple[str, ...] = ()  # latent.junk kinds that are none of its classes
    members: tuple[str, ...] = ()  # latent.junk digit sets that are its classes, drawn as people draw
    variations: tuple[str, ...] = ()  # latent.junk.VARIATIONS its own images can be rewritten with
    writers: tuple[str, ...] = ()  # real handwriting never trained on (measured, never fitted on)
    foreign_datasets: tuple[str, ...] = ()  # other datasets' test images, foreign and never trained on


DIGITS = dict(what="a digit", reading=INK, drawable=True, foreign=DRAWN_KINDS + PICTURE_KINDS, members=DIGIT_KINDS,
              variations=VARIATIONS)

CATALOG: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", "MNIST", writers=(SKLEARN_DIGITS,), foreign_datasets=("fashion-mnist",), **DIGITS),
    # scikit-learn's digits are this dataset's own training images, so they are not "new writers" here.
    "digits": DatasetInfo("digits", "scikit-learn digits", **DIGITS),
    "fashion-mnist": DatasetInfo(
        "fashion-mnist", "Fashion-MNIST", "a piece of clothing (a shoe, a bag, a shirt…)", OBJECT, drawable=False,
        foreign=DRAWN_KINDS + PICTURE_KINDS + DIGIT_KINDS, foreign_datasets=("mnist",)),
}


def dataset_info(name: str | None) -> DatasetInfo:
    """The record of a dataset by name; a `folder:` or unknown dataset gets a plain one (no detector)."""
    if name in CATALOG:
        return CATALOG[name]
    label = (name or "?").removeprefix("folder:")
    return DatasetInfo(name or "?", label, "something from one of its classes", OBJECT, drawable=True)
