"""`python -m latent` (or `latent`): train, evaluate, sweep, judge, classify, calibrate, map, info.

This module only parses arguments and hands them on: the work is done by latent.workflows.pipeline
(train, calibrate), latent.workflows.evaluation (evaluate), latent.workflows.sweep, latent.workflows.judge,
latent.bundle.reading (classify) and latent.bundle.map_inverse; the settings no flag gives come from the
dataset's record (latent.inputs.catalog.Recipe); default paths from latent.paths (the assets folder,
whatever the working folder; `--model mnist` names a bundle in it). Every command has --help and
sensible defaults. Failures the user can fix (missing data, a broken bundle, an unreadable image) print
one line starting with "error:" and exit with status 1;
wrong arguments exit with status 2, as argparse does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, LatentError
from .paths import assets_root, bundle_path, judges_root, sweeps_root

if TYPE_CHECKING:
    from latent.workflows.pipeline import PipelineConfig

EXIT_ERROR = 1
DEFAULT_MODEL = "mnist"  # the shipped bundle that `--model` names when it is not given
MODEL_HELP = "model bundle: its folder, or the name of one in the assets folder (mnist, fashion-mnist-joint, ...)"


DATA_DIR_HELP = (
    "folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>, then the per-user download cache, "
    "where missing MNIST files are fetched)"
)


def _quiet(_: str) -> None:
    pass


def _to_stdout(line: str) -> None:
    print(line, flush=True)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _bundle(value: str) -> str:
    return str(bundle_path(value))


def _components(value: str):
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}")
    return n


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return n


def _rate(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {value!r}") from None
    if not 0 <= x < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {value!r}")
    return x


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m latent",
        description="Latent Explorer: an autoencoder with one Gaussian mixture per class in its latent space.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    fmt = argparse.ArgumentDefaultsHelpFormatter

    train = sub.add_parser(
        "train",
        help="train an autoencoder + per-class mixtures and write a model bundle",
        formatter_class=fmt,
        description="Train the whole pipeline and write a model bundle.",
    )
    train.add_argument(
        "--dataset",
        default="mnist",
        help="mnist, fashion-mnist, digits (bundled, offline) or folder:PATH (one sub-folder per class)",
    )
    train.add_argument("--data-dir", help=DATA_DIR_HELP)
    train.add_argument("--out", help="bundle directory to write (default: assets/<dataset>)")
    train.add_argument(
        "--latent-dim", type=_positive_int, default=None, help="size of the latent space (default: per dataset)"
    )
    train.add_argument("--epochs", type=_positive_int, default=None, help="training epochs (default: per dataset)")
    train.add_argument(
        "--hidden",
        type=_positive_int,
        default=None,
        help="width of the layer between the convolutions and the code (default: per dataset, 256)",
    )
    train.add_argument(
        "--components", type=_components, default=6, help="mixture components per class, or 'auto' (BIC)"
    )
    train.add_argument(
        "--covariance",
        choices=["full", "diag", "tied", "spherical"],
        default="full",
        help="covariance type of the mixture components",
    )
    train.add_argument("--batch-size", type=_positive_int, default=None, help="images per step (default: per dataset)")
    train.add_argument("--lr", type=float, default=None, help="peak learning rate (default: per dataset)")
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train on randomly changed copies: thickness/placement for digits, mirror images and "
        "small shifts for clothes (default: per dataset: on for digits, off for clothes, "
        "on for the clothes' joint recipe)",
    )
    train.add_argument(
        "--augment-target",
        choices=["clean", "augmented"],
        default=None,
        help="what the decoder gives back from a changed copy: the clean image (denoising: the "
        "code learns to ignore the changes) or the changed copy itself (plain data "
        "augmentation: reconstruction loses nothing) (default: per dataset; clean for digits)",
    )
    train.add_argument(
        "--joint",
        nargs="?",
        type=_joint_weight,
        const=RECIPE,
        default=0.0,
        metavar="WEIGHT",
        help="joint training: add a class-structure term (weight WEIGHT; without one, the dataset's "
        "recipe: 0.1, or for fashion-mnist 0.07 on 80-d codes, 16 of them shaped, trained on "
        "mirrored/shifted copies redrawn as they are) that "
        "uses the labels to shape the latent space for the per-class mixtures "
        "(default out: assets/<dataset>-joint)",
    )
    train.add_argument(
        "--joint-dims",
        type=_positive_int,
        default=None,
        help="how many leading code dimensions the class term shapes; the rest stay free for "
        "reconstruction (default: per dataset; all for MNIST)",
    )
    train.add_argument(
        "--map-points", type=_positive_int, default=10000, help="test codes stored and laid out on the map"
    )
    train.add_argument(
        "--reject-rate",
        type=_rate,
        default=0.01,
        help="share of validation images the default 'none' threshold rejects",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    train.add_argument("--threads", type=_positive_int, default=None, help="torch threads (default: torch's choice)")
    train.add_argument("--quiet", action="store_true", help="print only the final line")

    evaluate = sub.add_parser(
        "evaluate",
        help="accuracy, reconstruction error and more for a bundle",
        formatter_class=fmt,
        description="Evaluate a model bundle on its dataset.",
    )
    evaluate.add_argument("--model", type=_bundle, default=DEFAULT_MODEL, help=MODEL_HELP)
    evaluate.add_argument("--data-dir", help=DATA_DIR_HELP)
    evaluate.add_argument("--dataset", help="dataset to evaluate on (default: the one the model was trained on)")
    evaluate.add_argument(
        "--ood",
        metavar="OTHER_DATASET",
        help="also measure out-of-distribution detection against OTHER_DATASET's test images "
        "(e.g. fashion-mnist for an MNIST model)",
    )
    evaluate.add_argument(
        "--judge",
        metavar="DIR",
        help="independent CNN that grades decoded samples (default: assets/judges/<dataset> "
        "when it exists; build it with `python -m latent judge`)",
    )
    evaluate.add_argument(
        "--compare-auto",
        action="store_true",
        help="also refit the per-class mixtures with the number of components chosen by BIC "
        "(1..10 per class) on the same codes and report their test accuracy",
    )
    evaluate.add_argument(
        "--junk",
        action="store_true",
        help="also generate (seeded) foreign kinds (letters, symbols, scribbles, shapes, photos, "
        "textures, gradients, noise) and digits as people write them, and report per kind the "
        "share answered 'none' -- also with the detector retrained without that kind's family "
        "(letters, pictures ...: leave one family out) -- and per digit set the share read "
        "right and the share refused",
    )
    evaluate.add_argument("--junk-n", type=_positive_int, default=300, help="inputs per kind for --junk")
    evaluate.add_argument(
        "--no-leave-one-out",
        dest="leave_one_out",
        action="store_false",
        help="with --junk: skip retraining the detector without each family (quicker, less honest)",
    )
    evaluate.add_argument(
        "--leave-out-epochs",
        type=_positive_int,
        default=None,
        help="with --junk: epochs of each detector retrained without a family (default: the bundle's own)",
    )
    evaluate.add_argument(
        "--save",
        action="store_true",
        help="also store the results (with this command) in the bundle's manifest under "
        "'evaluation', where the dashboard's report page shows them",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    sweep = sub.add_parser(
        "sweep",
        help="the latent-size trade-off: train and measure one model per latent size",
        formatter_class=fmt,
        description="Train the dataset's recipe at several latent sizes and write test accuracy, "
        "reconstruction error, mean log-likelihood and sample fidelity per size to a "
        "JSON file that the dashboard's report page plots.",
    )
    sweep.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, digits or folder:PATH")
    sweep.add_argument("--data-dir", help=DATA_DIR_HELP)
    sweep.add_argument("--dims", type=_positive_int, nargs="+", default=[2, 4, 8, 16, 32], help="latent sizes")
    sweep.add_argument("--epochs", type=_positive_int, default=4, help="training epochs per size")
    sweep.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="denoising training on augmented copies (default: per dataset)",
    )
    sweep.add_argument(
        "--joint",
        nargs="?",
        type=_joint_weight,
        const=RECIPE,
        default=0.0,
        metavar="WEIGHT",
        help="sweep the joint-training recipe instead",
    )
    sweep.add_argument(
        "--joint-dims",
        type=_positive_int,
        default=None,
        help="code dimensions the class term shapes (default: per dataset)",
    )
    sweep.add_argument(
        "--judge", metavar="DIR", help="judge for sample fidelity (default: assets/judges/<dataset> when it exists)"
    )
    sweep.add_argument("--out", help="JSON file to write (default: assets/sweeps/<dataset>[-joint].json)")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--threads", type=_positive_int, default=None, help="torch threads (default: torch's choice)")
    sweep.set_defaults(
        latent_dim=None,
        components=6,
        covariance="full",
        batch_size=None,
        lr=None,
        map_points=10000,
        reject_rate=0.01,
        device="auto",
    )

    judge = sub.add_parser(
        "judge",
        help="train the independent CNN that grades decoded samples (sample fidelity)",
        formatter_class=fmt,
        description="Train a small supervised CNN on the real training images; `evaluate` "
        "uses it to measure how often decoded class samples look like their class.",
    )
    judge.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, digits or folder:PATH")
    judge.add_argument("--data-dir", help=DATA_DIR_HELP)
    judge.add_argument("--out", help="directory to write (default: assets/judges/<dataset>)")
    judge.add_argument("--epochs", type=_positive_int, default=5)

    classify = sub.add_parser(
        "classify",
        help="classify image files (PNG, JPEG, ...)",
        formatter_class=fmt,
        description="Classify images with the same preprocessing as the drawing canvas.",
    )
    classify.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    classify.add_argument("--model", type=_bundle, default=DEFAULT_MODEL, help=MODEL_HELP)
    classify.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="the latent test: 'none' below this best class log-likelihood (default: the bundle's "
        "calibrated one); the bundle's other 'none' tests still apply",
    )
    classify.add_argument("--no-reject", action="store_true", help="never answer 'none' (except for a blank picture)")
    classify.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per image: file, label (a class or 'none'), reason, "
        "probabilities, scores (each 'none' test's value, threshold, passed); for a picture with "
        "nothing to read, detail (what was found)",
    )

    calibrate = sub.add_parser(
        "calibrate",
        help="fit a bundle's 'none' answer (detector, thresholds, temperature) without retraining it",
        formatter_class=fmt,
        description="Train the outlier-exposure detector on generated foreign inputs, set each 'none' test's "
        "threshold on the validation split and fit the class probabilities' temperature, as `train` "
        "does, for an existing bundle (its autoencoder and mixtures stay as they are).",
    )
    calibrate.add_argument("--model", type=_bundle, default=DEFAULT_MODEL, help=MODEL_HELP)
    calibrate.add_argument("--data-dir", help=DATA_DIR_HELP)
    calibrate.add_argument(
        "--reject-rate",
        type=_rate,
        default=None,
        help="share of validation images the latent test refuses (default: the bundle's)",
    )
    calibrate.add_argument(
        "--recipe",
        action="store_true",
        help="train the detector with the dataset's current recipe (latent.inputs.catalog) instead of the "
        "settings the bundle's manifest records",
    )
    calibrate.add_argument(
        "--filled-squares-only",
        action="store_true",
        help="only set the thresholds for pictures that fill a small square box (digits stored as Semeion "
        "stores them) on the validation split, with the bundle's detector and other thresholds as they are "
        "(a full calibrate sets them too)",
    )
    calibrate.add_argument("--quiet", action="store_true", help="print only the final line")

    map_cmd = sub.add_parser(
        "map",
        help="add the map's inverse and density layer to an existing bundle",
        formatter_class=fmt,
        description="Write map_inverse.npz (what the model decodes at any spot of the latent "
        "map, and how likely it finds it) into a bundle trained before it existed, "
        "and list it in the manifest. Nothing is retrained; no other file changes.",
    )
    map_cmd.add_argument("--model", type=_bundle, default=DEFAULT_MODEL, help=MODEL_HELP)
    map_cmd.add_argument("--grid", type=_positive_int, default=96, help="cells per side of the density grid")
    map_cmd.add_argument("--force", action="store_true", help="compute it again when the bundle already has it")

    info = sub.add_parser(
        "info",
        help="describe a model bundle",
        formatter_class=fmt,
        description="Print a bundle's dataset, config, metrics and files.",
    )
    info.add_argument("--model", type=_bundle, default=DEFAULT_MODEL, help=MODEL_HELP)
    info.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    return parser


RECIPE = "recipe"  # the value of --joint given without a weight: the dataset's joint recipe decides


def _joint_weight(value: str):
    if value == RECIPE:
        return RECIPE
    weight = float(value)
    if weight < 0:
        raise argparse.ArgumentTypeError(f"the joint weight must be >= 0, got {value}")
    return weight


def output_name(args: argparse.Namespace) -> str:
    """Default output name of a train/sweep run: the dataset (a folder's path, dashed), '-joint' for joint training."""
    return args.dataset.replace("folder:", "").strip("/").replace("/", "-") + ("-joint" if args.joint else "")


def pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    """The `train`/`sweep` flags on top of the dataset's recipe (latent.inputs.catalog): what is not given,
    the recipe says."""
    from latent.inputs.catalog import dataset_info
    from latent.networks.augment import PRESETS
    from latent.networks.autoencoder import AutoencoderConfig
    from latent.networks.train import TrainConfig
    from latent.workflows.pipeline import MapConfig, MixtureConfig, PipelineConfig

    recipe = dataset_info(args.dataset).training_recipe(joint=bool(args.joint))
    training = TrainConfig(
        epochs=args.epochs or recipe.epochs,
        batch_size=args.batch_size or recipe.batch_size,
        lr=args.lr or recipe.lr,
        denoise=recipe.augment if args.augment is None else args.augment,
        joint_weight=recipe.joint_weight if args.joint == RECIPE else args.joint,
        joint_dims=args.joint_dims or recipe.joint_dims,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        augment=PRESETS[recipe.augment_preset](),
        target=getattr(args, "augment_target", None) or recipe.target,
    )
    return PipelineConfig(
        dataset=args.dataset,
        autoencoder=AutoencoderConfig(
            latent_dim=args.latent_dim or recipe.latent_dim, hidden=getattr(args, "hidden", None) or recipe.hidden
        ),
        training=training,
        mixture=MixtureConfig(n_components=args.components, covariance_type=args.covariance),
        map=MapConfig(n_points=args.map_points),
        reject_rate=args.reject_rate,
        detector=recipe.detector(),
    )


def cmd_train(args: argparse.Namespace) -> int:
    from latent.workflows.pipeline import train_bundle

    from .artifacts import current_command

    cfg = pipeline_config(args)
    name = output_name(args)
    out = Path(args.out) if args.out else assets_root() / name
    log = _quiet if args.quiet else _to_stdout
    manifest = train_bundle(
        cfg, out, data_dir=args.data_dir, command=current_command(), log=log, progress=not args.quiet
    )
    m = manifest["metrics"]
    print(
        f"wrote {out}: test accuracy {m['test_accuracy']:.4f}, test reconstruction mse "
        f"{m['test_reconstruction_mse']:.4f}, {m['train_seconds']:.0f}s"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from latent.bundle.model import LatentModel
    from latent.workflows.evaluation import evaluate_model, format_report

    from .artifacts import current_command

    model = LatentModel.load(args.model)
    log = _quiet if args.json else _to_stderr
    name, metrics = evaluate_model(
        model,
        args.dataset,
        data_dir=args.data_dir,
        ood=args.ood,
        judge=args.judge,
        compare_auto=args.compare_auto,
        junk=args.junk,
        junk_n=args.junk_n,
        leave_one_out=args.leave_one_out,
        leave_out_epochs=args.leave_out_epochs,
        save=args.save,
        command=current_command(),
        log=log,
        progress=not args.json,
    )
    if args.json:
        print(json.dumps({"model": str(args.model), "dataset": name, **metrics}))
        return 0
    print(format_report(model, name, metrics))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from latent.inputs.data import load_dataset
    from latent.workflows.sweep import check_sweep_target, run_sweep, write_sweep

    from .artifacts import current_command

    cfg = pipeline_config(args)
    name = output_name(args)
    out = Path(args.out) if args.out else sweeps_root() / f"{name}.json"
    check_sweep_target(out)  # before the data is read and the models trained
    dataset = load_dataset(args.dataset, args.data_dir)
    judge = None
    judge_dir = Path(args.judge) if args.judge else judges_root() / args.dataset
    if args.judge or (judge_dir / "manifest.json").is_file():
        from latent.workflows.judge import Judge

        judge = Judge.load(judge_dir)
    rows = run_sweep(dataset, args.dims, cfg, judge=judge, log=_to_stdout)
    write_sweep(out, args.dataset, cfg, rows, current_command())
    print(f"wrote {out}")
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    from latent.inputs.catalog import dataset_info
    from latent.inputs.data import load_dataset, source_folders
    from latent.workflows.judge import JudgeConfig, judge_guard, train_judge

    from .artifacts import current_command
    from .outputs import check_bundle_target

    out = Path(args.out) if args.out else judges_root() / args.dataset
    check_bundle_target(out, **judge_guard(args.dataset, source_folders(args.dataset, args.data_dir)))
    dataset = load_dataset(args.dataset, args.data_dir)
    print(f"training the judge CNN on {len(dataset.x_train)} labelled {args.dataset} images", flush=True)
    clothes = dataset_info(args.dataset).recipe.augment_preset == "clothes"  # mirror images, small shifts
    judge = train_judge(
        dataset, out, JudgeConfig(epochs=args.epochs, clothes=clothes), command=current_command(), log=_to_stdout
    )
    print(f"wrote {out}: test accuracy {judge.manifest['metrics']['test_accuracy']:.4f}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from latent.bundle.model import LatentModel
    from latent.bundle.reading import answer_line, answer_record, read_input
    from latent.bundle.rejection import NoneRule
    from latent.inputs.catalog import dataset_info
    from latent.inputs.preprocess import image_to_model_input

    from .errors import BlankImageError

    model = LatentModel.load(args.model)
    rule = (
        NoneRule([])
        if args.no_reject
        else model.rule.with_likelihood(args.threshold if args.threshold is not None else model.threshold)
    )
    reading_kind = dataset_info(model.manifest["dataset"]["name"]).reading
    failures = 0
    for path in args.images:
        try:
            prepared = image_to_model_input(path, reading=reading_kind)
            reading, blank = read_input(model, prepared.x, rule=rule, fills_square=prepared.fills_square), None
            notes = prepared.notes
        except BlankImageError as exc:  # nothing to read: the answer is "none", with why
            reading, blank, notes = None, exc, ()
        except LatentError as exc:
            failures += 1
            if args.json:
                print(json.dumps({"file": path, "error": str(exc)}))
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(answer_record(model, path, reading, blank=blank, notes=notes)))
        else:
            print(answer_line(model, path, reading, blank=blank))
    return EXIT_ERROR if failures else 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from latent.workflows.pipeline import calibrate_bundle

    from .artifacts import current_command

    log = _quiet if args.quiet else _to_stdout
    if args.filled_squares_only:
        if args.recipe or args.reject_rate is not None:
            raise ConfigError("--filled-squares-only changes nothing else: drop --recipe and --reject-rate")
        return _calibrate_filled_squares(args, log)
    rates = {"likelihood": args.reject_rate} if args.reject_rate is not None else None
    detector_cfg = None  # the bundle's own
    if args.recipe:
        from latent.artifacts import load_manifest
        from latent.inputs.catalog import dataset_info

        manifest = load_manifest(args.model, verify=True)
        joint = bool(manifest.get("config", {}).get("training", {}).get("joint_weight"))
        detector_cfg = dataset_info(manifest["dataset"]["name"]).training_recipe(joint=joint).detector()
    manifest = calibrate_bundle(
        args.model,
        data_dir=args.data_dir,
        detector_cfg=detector_cfg,
        rates=rates,
        command=current_command(),
        log=log,
        progress=not args.quiet,
    )
    c = manifest["calibration"]
    tests = ", ".join(f"{k} {v:.3f}" for k, v in c["rates"].items())
    print(f"calibrated {args.model}: validation images refused per test: {tests}; temperature {c['temperature']:.2f}")
    return 0


def _calibrate_filled_squares(args: argparse.Namespace, log) -> int:
    from latent.artifacts import load_manifest
    from latent.inputs.data import load_dataset
    from latent.workflows.filled_squares import set_filled_square_thresholds

    name = load_manifest(args.model, verify=True)["dataset"]["name"]
    ds = load_dataset(name, args.data_dir, progress=not args.quiet)
    section = set_filled_square_thresholds(args.model, ds.x_val, log)
    if not section:
        print(
            f"{args.model}: no thresholds of its own for filled squares (it reads pictures as objects, or has "
            "no test beyond the latent one)"
        )
        return 0
    shown = ", ".join(f"{k} {v:.3f}" for k, v in section["thresholds"].items())
    print(
        f"calibrated {args.model} for pictures that fill a small square: {shown} ({section['images']} stored "
        "validation digits)"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from latent.figures.summary import describe_bundle

    from .artifacts import load_manifest

    manifest = load_manifest(args.model, verify=True)  # checked against latent.schema
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(describe_bundle(manifest, args.model))
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from latent.bundle.map_inverse import add_to_bundle

    add_to_bundle(args.model, size=args.grid, force=args.force, log=print)
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "sweep": cmd_sweep,
    "judge": cmd_judge,
    "classify": cmd_classify,
    "calibrate": cmd_calibrate,
    "info": cmd_info,
    "map": cmd_map,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except LatentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
