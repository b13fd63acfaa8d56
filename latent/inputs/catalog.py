"""What each dataset is, in one place: its title, how its pictures are read, what counts as foreign to it,
and the recipe its model is trained with.

Every layer asks this record instead of testing dataset names: the Draw page (what to ask for, whether
photos are cleaned to ink), the "none" detector (which generated inputs are foreign, which are members),
the `evaluate --junk` report, and `train`/`sweep`/`judge` (the settings no flag gives).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from latent.inputs.preprocess import INK, OBJECT

DRAWN_KINDS = ("letters (drawn)", "letters (fonts)", "symbols, other scripts", "scribbles", "shapes")
PICTURE_KINDS = ("letters on paper", "photo crops", "textures", "gradients", "noise")
DIGIT_KINDS = ("drawn digits", "drawn digits, thin pen", "drawn digits, thick pen", "font digits", "digits on paper")
VARIATIONS = (
    "thick pen",
    "thin pen",
    "slanted",
    "stretched to fill the box",
    "small, off-centre",
    "low resolution",
    "on paper",
)
SKLEARN_DIGITS = "sklearn digits (43 writers)"
# Kinds left out of the detector's training together when `evaluate --junk` measures it on what it never
# saw: without a whole family, no close cousin of the kind (fonts' letters for drawn ones) stays in.
FAMILIES = {
    "letters": ("letters (drawn)", "letters (fonts)", "letters on paper"),
    "photos and textures": ("photo crops", "textures"),
    "gradients and noise": ("gradients", "noise"),
    "digits": DIGIT_KINDS,
}


def family_of(kind: str) -> str:
    """The family a foreign kind is left out with (a kind in no family is its own)."""
    return next((name for name, kinds in FAMILIES.items() if kind in kinds), kind)


@dataclass(frozen=True)
class Recipe:
    """The training settings that no flag gives: those the shipped bundles were built with (see README's results).

    Digits need thickness/placement invariance (the canvas); clothes keep more detail without it and need
    a wider latent space. The bundled 8x8 digits are few, so they get small batches and more epochs.
    """

    latent_dim: int = 16  # size of the code
    epochs: int = 20
    lr: float = 3e-3  # peak learning rate
    batch_size: int = 64
    augment: bool = True  # train on randomly changed copies
    augment_preset: str = "digits"  # which changes: a key of latent.networks.augment.PRESETS
    target: str = "clean"  # what the decoder gives back from a changed copy: "clean" (denoising) or "augmented"
    hidden: int = 256  # width of the layer between the convolutions and the code
    joint_weight: float = 0.1  # weight of the class term when `--joint` is given without one
    joint_dims: int = 0  # leading code dimensions the class term shapes; 0: all of them
    # The "none" detector (latent.networks.detector.DetectorConfig): side of the feature map its dense layer
    # reads, and its epochs. 3 keeps it at 0.1 M weights (the clothes bundle within 10 MB); digits get 7
    # (0.4 M) and twice the epochs: on fresh junk the combined test then refuses shapes 97 % instead of
    # 74 %, symbols 93 % instead of 82 %.
    detector_pool: int = 3
    detector_epochs: int = 6
    detector_drawn_share: float = 0.0  # DetectorConfig.drawn_share
    # The "none" rule (latent.bundle.rejection): True, the latent test and one combined test; False, the
    # latent, reconstruction and detector tests each alone (the clothes bundles: they refuse every
    # generated kind that way, and the combined test was not measured on them).
    combined_none: bool = True

    def detector(self):
        """The DetectorConfig `train` (and `calibrate --recipe`) use for this dataset."""
        from latent.networks.detector import DetectorConfig

        return DetectorConfig(
            pool=self.detector_pool, epochs=self.detector_epochs, drawn_share=self.detector_drawn_share
        )


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    what: str  # what to draw or upload, for page texts: "a digit"
    reading: str  # INK: photos are cleaned to ink on black; OBJECT: the picture is the object
    drawable: bool  # the canvas makes sense (people can draw the classes)
    foreign: tuple[str, ...] = ()  # latent.inputs.junk kinds that are none of its classes
    members: tuple[str, ...] = ()  # latent.inputs.junk digit sets that are its classes, drawn as people draw
    variations: tuple[str, ...] = ()  # latent.inputs.junk.VARIATIONS its own images can be rewritten with
    writers: tuple[str, ...] = ()  # real handwriting never trained on (measured, never fitted on)
    foreign_datasets: tuple[str, ...] = ()  # other datasets' test images, foreign and never trained on
    # (above, typical): inputs whose ink is more than `above` times as wide as tall are read again at
    # `typical` width (latent.bundle.width); None: never (an object's shape is what it is)
    wide_reading: tuple[float, float] | None = None
    recipe: Recipe = Recipe()  # how `train` builds its model
    joint_recipe: Recipe | None = None  # how `train --joint` does, when it differs from `recipe` (None: the same)

    def training_recipe(self, joint: bool = False) -> Recipe:
        """The recipe of plain (two-stage) training, or of joint training (`--joint`)."""
        return (self.joint_recipe or self.recipe) if joint else self.recipe


DIGITS = DatasetInfo(
    "digits",
    "scikit-learn digits",
    "a digit",
    INK,
    drawable=True,
    foreign=DRAWN_KINDS + PICTURE_KINDS,
    members=DIGIT_KINDS,
    variations=VARIATIONS,
    wide_reading=(1.2, 0.8),  # MNIST's training digits: 3.5 % wider than 1.2 times their height, median 0.8
    recipe=Recipe(latent_dim=8, epochs=40, batch_size=32),
)
MNIST_RECIPE = Recipe(
    latent_dim=16, epochs=12, batch_size=128, detector_pool=7, detector_epochs=12, detector_drawn_share=0.5
)
CLOTHES_RECIPE = Recipe(
    latent_dim=64, epochs=10, batch_size=128, augment=False, augment_preset="clothes", combined_none=False
)

CATALOG: dict[str, DatasetInfo] = {
    "mnist": replace(
        DIGITS,
        name="mnist",
        title="MNIST",
        writers=(SKLEARN_DIGITS,),
        foreign_datasets=("fashion-mnist",),
        recipe=MNIST_RECIPE,
    ),
    # scikit-learn's digits are this dataset's own training images, so they are not "new writers" here.
    "digits": DIGITS,
    "fashion-mnist": DatasetInfo(
        "fashion-mnist",
        "Fashion-MNIST",
        "a piece of clothing (a shoe, a bag, a shirt…)",
        OBJECT,
        drawable=False,
        foreign=DRAWN_KINDS + PICTURE_KINDS + DIGIT_KINDS,
        foreign_datasets=("mnist",),
        recipe=CLOTHES_RECIPE,
        # The class term costs clothes reconstruction (all 64 dims shaped at 0.1: +52 % MSE); shaping 16
        # extra dims, a wider layer before the code and a lighter weight keep it small. Mirror images and
        # small shifts teach the class term that a mirrored coat is a coat; the decoder redraws each changed
        # copy as it is, so reconstruction pays nothing for it (denoising towards the clean image: +79 % MSE).
        joint_recipe=replace(
            CLOTHES_RECIPE,
            latent_dim=80,
            joint_dims=16,
            hidden=384,
            epochs=16,
            joint_weight=0.07,
            augment=True,
            target="augmented",
        ),
    ),
}


def dataset_info(name: str | None) -> DatasetInfo:
    """The record of a dataset by name; a `folder:` or unknown dataset gets a plain one (no detector, `Recipe()`)."""
    if name in CATALOG:
        return CATALOG[name]
    label = (name or "?").removeprefix("folder:")
    return DatasetInfo(name or "?", label, "something from one of its classes", OBJECT, drawable=True)
