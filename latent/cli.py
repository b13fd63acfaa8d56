"""`python -m latent`: train, evaluate, classify, info.

Every command has --help and sensible defaults. Failures the user can fix (missing data, a broken
bundle, an unreadable image) print one line starting with "error:" and exit with status 1;
wrong arguments exit with status 2, as argparse does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import LatentError

EXIT_ERROR = 1
JUDGES_ROOT = Path("assets") / "judges"


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

    train = sub.add_parser("train", help="train an autoencoder + per-class mixtures and write a model bundle",
                           formatter_class=fmt, description="Train the whole pipeline and write a model bundle.")
    train.add_argument("--dataset", default="mnist",
                       help="mnist, fashion-mnist, digits (bundled, offline) or folder:PATH (one sub-folder per class)")
    train.add_argument("--data-dir", help="folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>)")
    train.add_argument("--out", help="bundle directory to write (default: assets/<dataset>)")
    train.add_argument("--latent-dim", type=_positive_int, default=None, help="size of the latent space (default: per dataset)")
    train.add_argument("--epochs", type=_positive_int, default=None, help="training epochs (default: per dataset)")
    train.add_argument("--hidden", type=_positive_int, default=None,
                       help="width of the layer between the convolutions and the code (default: per dataset, 256)")
    train.add_argument("--components", type=_components, default=6, help="mixture components per class, or 'auto' (BIC)")
    train.add_argument("--covariance", choices=["full", "diag", "tied", "spherical"], default="full",
                       help="covariance type of the mixture components")
    train.add_argument("--batch-size", type=_positive_int, default=None, help="images per step (default: per dataset)")
    train.add_argument("--lr", type=float, default=None, help="peak learning rate (default: per dataset)")
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                       help="train on randomly changed copies: thickness/placement for digits, mirror images and "
                            "small shifts for clothes (default: per dataset: on for digits, off for clothes, "
                            "on for the clothes' joint recipe)")
    train.add_argument("--augment-target", choices=["clean", "augmented"], default=None,
                       help="what the decoder gives back from a changed copy: the clean image (denoising: the "
                            "code learns to ignore the changes) or the changed copy itself (plain data "
                            "augmentation: reconstruction loses nothing) (default: per dataset; clean for digits)")
    train.add_argument("--joint", nargs="?", type=_joint_weight, const=RECIPE, default=0.0, metavar="WEIGHT",
                       help="joint training: add a class-structure term (weight WEIGHT; without one, the dataset's "
                            "recipe: 0.1, or for fashion-mnist 0.07 on 80-d codes, 16 of them shaped, trained on "
                            "mirrored/shifted copies redrawn as they are) that "
                            "uses the labels to shape the latent space for the per-class mixtures "
                            "(default out: assets/<dataset>-joint)")
    train.add_argument("--joint-dims", type=_positive_int, default=None,
                       help="how many leading code dimensions the class term shapes; the rest stay free for "
                            "reconstruction (default: per dataset; all for MNIST)")
    train.add_argument("--map-points", type=_positive_int, default=10000, help="test codes stored and laid out on the map")
    train.add_argument("--reject-rate", type=_rate, default=0.01,
                       help="share of validation images the default 'none' threshold rejects")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    train.add_argument("--threads", type=_positive_int, default=None, help="torch threads (default: torch's choice)")
    train.add_argument("--quiet", action="store_true", help="print only the final line")

    evaluate = sub.add_parser("evaluate", help="accuracy, reconstruction error and more for a bundle",
                              formatter_class=fmt, description="Evaluate a model bundle on its dataset.")
    evaluate.add_argument("--model", default="assets/mnist", help="model bundle directory")
    evaluate.add_argument("--data-dir", help="folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>)")
    evaluate.add_argument("--dataset", help="dataset to evaluate on (default: the one the model was trained on)")
    evaluate.add_argument("--ood", metavar="OTHER_DATASET",
                          help="also measure out-of-distribution detection against OTHER_DATASET's test images "
                               "(e.g. fashion-mnist for an MNIST model)")
    evaluate.add_argument("--judge", metavar="DIR",
                          help="independent CNN that grades decoded samples (default: assets/judges/<dataset> "
                               "when it exists; build it with `python -m latent judge`)")
    evaluate.add_argument("--compare-auto", action="store_true",
                          help="also refit the per-class mixtures with the number of components chosen by BIC "
                               "(1..10 per class) on the same codes and report their test accuracy")
    evaluate.add_argument("--junk", action="store_true",
                          help="also generate (seeded) foreign kinds (letters, symbols, scribbles, shapes, photos, "
                               "textures, gradients, noise) and digits as people write them, and report per kind the "
                               "share answered 'none' -- also with the detector retrained without that kind's family "
                               "(letters, pictures ...: leave one family out) -- and per digit set the share read "
                               "right and the share refused")
    evaluate.add_argument("--junk-n", type=_positive_int, default=300, help="inputs per kind for --junk")
    evaluate.add_argument("--no-leave-one-out", dest="leave_one_out", action="store_false",
                          help="with --junk: skip retraining the detector without each family (quicker, less honest)")
    evaluate.add_argument("--leave-out-epochs", type=_positive_int, default=None,
                          help="with --junk: epochs of each detector retrained without a family (default: the "
                               "bundle's own)")
    evaluate.add_argument("--save", action="store_true",
                          help="also store the results (with this command) in the bundle's manifest under "
                               "'evaluation', where the dashboard's report page shows them")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    sweep = sub.add_parser("sweep", help="the latent-size trade-off: train and measure one model per latent size",
                           formatter_class=fmt,
                           description="Train the dataset's recipe at several latent sizes and write test accuracy, "
                                       "reconstruction error, mean log-likelihood and sample fidelity per size to a "
                                       "JSON file that the dashboard's report page plots.")
    sweep.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, digits or folder:PATH")
    sweep.add_argument("--data-dir", help="folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>)")
    sweep.add_argument("--dims", type=_positive_int, nargs="+", default=[2, 4, 8, 16, 32], help="latent sizes")
    sweep.add_argument("--epochs", type=_positive_int, default=4, help="training epochs per size")
    sweep.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                       help="denoising training on augmented copies (default: per dataset)")
    sweep.add_argument("--joint", nargs="?", type=_joint_weight, const=RECIPE, default=0.0, metavar="WEIGHT",
                       help="sweep the joint-training recipe instead")
    sweep.add_argument("--joint-dims", type=_positive_int, default=None,
                       help="code dimensions the class term shapes (default: per dataset)")
    sweep.add_argument("--judge", metavar="DIR", help="judge for sample fidelity (default: assets/judges/<dataset> "
                                                     "when it exists)")
    sweep.add_argument("--out", help="JSON file to write (default: assets/sweeps/<dataset>[-joint].json)")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--threads", type=_positive_int, default=None, help="torch threads (default: torch's choice)")
    sweep.set_defaults(latent_dim=None, components=6, covariance="full", batch_size=None, lr=None, map_points=10000,
                       reject_rate=0.01, device="auto")

    judge = sub.add_parser("judge", help="train the independent CNN that grades decoded samples (sample fidelity)",
                           formatter_class=fmt,
                           description="Train a small supervised CNN on the real training images; `evaluate` "
                                       "uses it to measure how often decoded class samples look like their class.")
    judge.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, digits or folder:PATH")
    judge.add_argument("--data-dir", help="folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>)")
    judge.add_argument("--out", help="directory to write (default: assets/judges/<dataset>)")
    judge.add_argument("--epochs", type=_positive_int, default=5)

    classify = sub.add_parser("classify", help="classify image files (PNG, JPEG, ...)", formatter_class=fmt,
                              description="Classify images with the same preprocessing as the drawing canvas.")
    classify.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    classify.add_argument("--model", default="assets/mnist", help="model bundle directory")
    classify.add_argument("--threshold", type=float, default=None,
                          help="the latent test: 'none' below this best class log-likelihood (default: the bundle's "
                               "calibrated one); the bundle's other 'none' tests still apply")
    classify.add_argument("--no-reject", action="store_true", help="never answer 'none' (except for a blank picture)")
    classify.add_argument("--json", action="store_true",
                          help="print one JSON object per image: file, label (a class or 'none'), reason, "
                               "probabilities, scores (each 'none' test's value, threshold, passed)")

    calibrate = sub.add_parser(
        "calibrate", help="fit a bundle's 'none' answer (detector, thresholds, temperature) without retraining it",
        formatter_class=fmt,
        description="Train the outlier-exposure detector on generated foreign inputs, set each 'none' test's "
                    "threshold on the validation split and fit the class probabilities' temperature, as `train` "
                    "does, for an existing bundle (its autoencoder and mixtures stay as they are).")
    calibrate.add_argument("--model", default="assets/mnist", help="model bundle directory")
    calibrate.add_argument("--data-dir", help="folder holding the dataset files (else $LATENT_DATA_DIR, ./data/<name>)")
    calibrate.add_argument("--reject-rate", type=_rate, default=None,
                           help="share of validation images the latent test refuses (default: the bundle's)")
    calibrate.add_argument("--quiet", action="store_true", help="print only the final line")

    map_cmd = sub.add_parser("map", help="add the map's inverse and density layer to an existing bundle",
                             formatter_class=fmt,
                             description="Write map_inverse.npz (what the model decodes at any spot of the latent "
                                         "map, and how likely it finds it) into a bundle trained before it existed, "
                                         "and list it in the manifest. Nothing is retrained; no other file changes.")
    map_cmd.add_argument("--model", default="assets/mnist", help="model bundle directory")
    map_cmd.add_argument("--grid", type=_positive_int, default=96, help="cells per side of the density grid")
    map_cmd.add_argument("--force", action="store_true", help="compute it again when the bundle already has it")

    info = sub.add_parser("info", help="describe a model bundle", formatter_class=fmt,
                          description="Print a bundle's dataset, config, metrics and files.")
    info.add_argument("--model", default="assets/mnist", help="model bundle directory")
    info.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    return parser


# Per-dataset defaults: the settings the shipped bundles were built with (see README's results).
# Digits need thickness/placement invariance (the canvas); clothes keep more detail without it and
# need a wider latent space. The bundled 8x8 digits are few, so they get small batches and more epochs.
DEFAULTS = {
    "mnist": {"latent_dim": 16, "epochs": 12, "lr": 3e-3, "batch_size": 128, "augment": True},
    "fashion-mnist": {"latent_dim": 64, "epochs": 10, "lr": 3e-3, "batch_size": 128, "augment": False,
                      "augment_preset": "clothes",
                      # The class term costs clothes reconstruction (all 64 dims shaped at 0.1: +52 % MSE);
                      # shaping 16 extra dims, a wider layer before the code and a lighter weight keep it small.
                      # Mirror images and small shifts teach the class term that a mirrored coat is a coat;
                      # the decoder redraws each changed copy as it is, so reconstruction pays nothing for it
                      # (denoising towards the clean image cost +79 % MSE).
                      "joint": {"latent_dim": 80, "joint_dims": 16, "hidden": 384, "epochs": 16, "joint_weight": 0.07,
                                "augment": True, "target": "augmented"}},
    "digits": {"latent_dim": 8, "epochs": 40, "lr": 3e-3, "batch_size": 32, "augment": True},
}
FALLBACK = {"latent_dim": 16, "epochs": 20, "lr": 3e-3, "batch_size": 64, "augment": True}
RECIPE = "recipe"  # the value of --joint given without a weight: the dataset's joint recipe decides


def _joint_weight(value: str):
    if value == RECIPE:
        return RECIPE
    weight = float(value)
    if weight < 0:
        raise argparse.ArgumentTypeError(f"the joint weight must be >= 0, got {value}")
    return weight


def output_name(args) -> str:
    """Default output name of a train/sweep run: the dataset (a folder's path, dashed), '-joint' for joint training."""
    return args.dataset.replace("folder:", "").strip("/").replace("/", "-") + ("-joint" if args.joint else "")


def pipeline_config(args):
    from .augment import PRESETS
    from .autoencoder import AutoencoderConfig
    from .pipeline import MapConfig, MixtureConfig, PipelineConfig
    from .train import TrainConfig

    defaults = DEFAULTS.get(args.dataset, FALLBACK)
    if args.joint:  # a dataset's joint recipe may change some of its defaults
        defaults = {**defaults, **defaults.get("joint", {})}
    augment = defaults["augment"] if args.augment is None else args.augment
    training = TrainConfig(epochs=args.epochs or defaults["epochs"], batch_size=args.batch_size or defaults["batch_size"],
                           lr=args.lr or defaults["lr"], denoise=augment,
                           joint_weight=defaults.get("joint_weight", 0.1) if args.joint == RECIPE else args.joint,
                           joint_dims=args.joint_dims or defaults.get("joint_dims", 0), seed=args.seed,
                           device=args.device, threads=args.threads,
                           augment=PRESETS[defaults.get("augment_preset", "digits")](),
                           target=getattr(args, "augment_target", None) or defaults.get("target", "clean"))
    return PipelineConfig(
        dataset=args.dataset,
        autoencoder=AutoencoderConfig(latent_dim=args.latent_dim or defaults["latent_dim"],
                                      hidden=getattr(args, "hidden", None) or defaults.get("hidden", 256)),
        training=training,
        mixture=MixtureConfig(n_components=args.components, covariance_type=args.covariance),
        map=MapConfig(n_points=args.map_points),
        reject_rate=args.reject_rate,
    )


def cmd_train(args) -> int:
    from .artifacts import current_command
    from .pipeline import train_bundle

    cfg = pipeline_config(args)
    name = output_name(args)
    out = Path(args.out) if args.out else Path("assets") / name
    log = (lambda _: None) if args.quiet else (lambda line: print(line, flush=True))
    manifest = train_bundle(cfg, out, data_dir=args.data_dir, command=current_command(), log=log,
                            progress=not args.quiet)
    m = manifest["metrics"]
    print(f"wrote {out}: test accuracy {m['test_accuracy']:.4f}, test reconstruction mse "
          f"{m['test_reconstruction_mse']:.4f}, {m['train_seconds']:.0f}s")
    return 0


def cmd_evaluate(args) -> int:
    from .data import load_dataset
    from .model import LatentModel
    from .pipeline import evaluate_bundle

    model = LatentModel.load(args.model)
    name = args.dataset or model.manifest["dataset"]["name"]
    log = (lambda _: None) if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    dataset = load_dataset(name, args.data_dir, progress=not args.json)
    metrics = evaluate_bundle(model, dataset, log=log)
    if args.ood:
        from .ood import evaluate_ood

        log(f"scoring {args.ood} test images as out-of-distribution")
        foreign = load_dataset(args.ood, args.data_dir, progress=not args.json)
        metrics.update(evaluate_ood(model, dataset.x_val, dataset.x_test, foreign.x_test), ood_dataset=args.ood)
    from .morph import code_graph, compare_paths

    log("comparing straight and dense morphs")
    metrics.update(compare_paths(model, code_graph(model)))
    if args.compare_auto:
        metrics.update(compare_auto_components(model, dataset, log))
    if args.junk:
        from .foreign import evaluate_junk

        metrics["junk"] = evaluate_junk(model, dataset, n=args.junk_n, leave_one_out=args.leave_one_out,
                                        leave_out_epochs=args.leave_out_epochs,
                                        data_dir=args.data_dir, log=log, progress=not args.json)
    judge_dir = Path(args.judge) if args.judge else JUDGES_ROOT / name
    if args.judge or (judge_dir / "manifest.json").is_file():
        from .judge import Judge, sample_fidelity

        log(f"grading decoded samples with the judge in {judge_dir}")
        metrics.update(sample_fidelity(model, Judge.load(judge_dir)))
    if args.save:
        from datetime import datetime, timezone

        from .artifacts import current_command, update_manifest

        # merged into what earlier evaluations stored (README runs `--ood ...` and `--junk` as two commands)
        update_manifest(args.model, evaluation={
            **model.manifest.get("evaluation", {}), **metrics, "dataset": name, "command": current_command(),
            "evaluated": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        log(f"stored the results in {Path(args.model) / 'manifest.json'}")
    if args.json:
        print(json.dumps({"model": str(args.model), "dataset": name, **metrics}))
        return 0
    print(format_report(model, name, metrics))
    return 0


def compare_auto_components(model, dataset, log) -> dict:
    """Test accuracy of mixtures refitted with BIC-chosen sizes on the bundle's own codes."""
    import numpy as np

    from .mixture import ClassGaussianMixture

    log("refitting the mixtures with BIC-chosen numbers of components (1..10 per class)")
    params = model.manifest["config"]["mixture"]
    auto = ClassGaussianMixture("auto", covariance_type=params.get("covariance_type", "full"),
                                reg_covar=params.get("reg_covar", 1e-2), random_state=0)
    auto.fit(model.encode(dataset.x_train), dataset.y_train)
    z_test = model.encode(dataset.x_test)
    return {"components_auto_test_accuracy": float(np.mean(auto.predict(z_test) == dataset.y_test)),
            "components_auto_per_class": {n: int(k) for n, k in zip(model.class_names, auto.n_components_)}}


def format_report(model, dataset: str, m: dict) -> str:
    ref = m.get("writeup_test_accuracy")
    lines = [f"model {model.directory} on {dataset}", "",
             f"{'':34}{'train':>8}{'test':>8}",
             f"{'per-class mixtures (this model)':34}{m['train_accuracy']:>8.4f}{m['test_accuracy']:>8.4f}",
             f"{'one mixture for all classes':34}{m['single_mixture_train_accuracy']:>8.4f}"
             f"{m['single_mixture_test_accuracy']:>8.4f}"]
    if ref is not None:
        lines.append(f"{'original write-up':34}{'':>8}{ref:>8.4f}")
    lines += ["", f"validation accuracy        {m['val_accuracy']:.4f}",
              f"test reconstruction mse    {m['test_reconstruction_mse']:.4f}",
              f"test answered 'none'       {m['test_rejection_rate']:.4f} (threshold {model.threshold:.2f})",
              "", "per-class test accuracy:"]
    lines += [f"  {name:<14}{acc:.4f}" for name, acc in m["per_class_test_accuracy"].items()]
    if "components_auto_test_accuracy" in m:
        ks = ", ".join(f"{n} {k}" for n, k in m["components_auto_per_class"].items())
        lines += ["", f"components chosen by BIC ({ks}): test accuracy {m['components_auto_test_accuracy']:.4f} "
                      f"(fixed {model.manifest['config']['mixture']['n_components']}: {m['test_accuracy']:.4f})"]
    if "morph_pairs" in m:
        lines += ["", f"morphs between {m['morph_pairs']} random pairs of styles   straight    dense",
                  f"  mean best class log-likelihood per frame   {m['morph_straight_log_likelihood']:>8.2f} "
                  f"{m['morph_dense_log_likelihood']:>8.2f}",
                  f"  share of frames clearly source or target   {m['morph_straight_confident_share']:>8.3f} "
                  f"{m['morph_dense_confident_share']:>8.3f}"]
    if "sample_fidelity" in m:
        lines += ["", f"sample fidelity (an independent CNN, test accuracy {m['judge_test_accuracy']:.4f}, "
                      f"names decoded class samples as intended)  {m['sample_fidelity']:.4f}",
                  f"  judge's mean confidence: class samples {m['sample_judge_confidence']:.3f}, "
                  f"uniform-box samples {m['uniform_judge_confidence']:.3f}"]
    if "junk" in m:
        lines += ["", junk_table(m["junk"], m)]
    if "ood_auroc" in m:
        lines += ["", f"out-of-distribution: {m['ood_dataset']} test images ({m['ood_n']}) vs {dataset} test images",
                  f"  AUROC, likelihood score       {m['ood_auroc_likelihood']:.4f}",
                  f"  AUROC, reconstruction score   {m['ood_auroc_reconstruction']:.4f}",
                  f"  AUROC, combined score         {m['ood_auroc_combined']:.4f}",
                  f"  AUROC, pixel likelihood       {m['ood_auroc_pixel_likelihood']:.4f}",
                  f"  AUROC, typicality score       {m['ood_auroc_typicality']:.4f}   (ood_auroc)",
                  f"  answered 'none' at the stored threshold: {m['ood_rejected_at_threshold']:.4f} of foreign, "
                  f"{m['test_rejected_at_threshold']:.4f} of own test images"]
    return "\n".join(lines)


def junk_table(junk: dict, metrics: dict) -> str:
    """The `--junk` results as two plain tables: foreign kinds answered "none", digit sets read right."""
    lines = [f"answered 'none' (share of {next(iter(junk['junk'].values()))['n']} per kind)   bundle's rule   "
             "detector trained without its family"]
    for kind, r in junk["junk"].items():
        left = r.get("none_left_out")
        lines.append(f"  {kind:<34}{r['none']:>10.3f}{'' if left is None else f'{left:>14.3f}'}")
    lines += ["", f"{'digits as people write them':<36}{'read right':>10}{'none':>8}"]
    for name, r in junk["digits"].items():
        lines.append(f"  {name:<34}{r['correct']:>10.3f}{r['none']:>8.3f}")
    lines.append(f"  {'own test images':<34}{junk['test']['accuracy']:>10.4f}{junk['test']['none']:>8.4f}")
    return "\n".join(lines)


def cmd_sweep(args) -> int:
    from .artifacts import current_command
    from .data import load_dataset
    from .sweep import SWEEPS_ROOT, check_sweep_target, run_sweep, write_sweep

    cfg = pipeline_config(args)
    name = output_name(args)
    out = Path(args.out) if args.out else SWEEPS_ROOT / f"{name}.json"
    check_sweep_target(out)  # before the data is read and the models trained
    dataset = load_dataset(args.dataset, args.data_dir)
    judge = None
    judge_dir = Path(args.judge) if args.judge else JUDGES_ROOT / args.dataset
    if args.judge or (judge_dir / "manifest.json").is_file():
        from .judge import Judge

        judge = Judge.load(judge_dir)
    rows = run_sweep(dataset, args.dims, cfg, judge=judge, log=lambda line: print(line, flush=True))
    write_sweep(out, args.dataset, cfg, rows, current_command())
    print(f"wrote {out}")
    return 0


def cmd_judge(args) -> int:
    from .artifacts import current_command
    from .data import load_dataset, source_folders
    from .judge import JudgeConfig, judge_guard, train_judge
    from .outputs import check_bundle_target

    out = Path(args.out) if args.out else JUDGES_ROOT / args.dataset
    check_bundle_target(out, **judge_guard(args.dataset, source_folders(args.dataset, args.data_dir)))
    dataset = load_dataset(args.dataset, args.data_dir)
    print(f"training the judge CNN on {len(dataset.x_train)} labelled {args.dataset} images", flush=True)
    judge = train_judge(dataset, out, JudgeConfig(epochs=args.epochs, clothes=args.dataset == "fashion-mnist"), command=current_command(),
                        log=lambda line: print(line, flush=True))
    print(f"wrote {out}: test accuracy {judge.manifest['metrics']['test_accuracy']:.4f}")
    return 0


def cmd_classify(args) -> int:
    from .catalog import dataset_info
    from .errors import BlankImageError
    from .model import LatentModel
    from .preprocess import image_to_model_input
    from .reading import answer_line, answer_record, read_input
    from .rejection import NoneRule

    model = LatentModel.load(args.model)
    rule = NoneRule([]) if args.no_reject else model.rule.with_likelihood(
        args.threshold if args.threshold is not None else model.threshold)
    reading_kind = dataset_info(model.manifest["dataset"]["name"]).reading
    failures = 0
    for path in args.images:
        try:
            image, notes = image_to_model_input(path, reading=reading_kind)
            reading, blank = read_input(model, image, rule=rule), None
        except BlankImageError as exc:  # nothing to read: the answer is "none", with why
            reading, blank, notes = None, exc.reason, []
        except LatentError as exc:
            failures += 1
            if args.json:
                print(json.dumps({"file": path, "error": str(exc)}))
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(answer_record(model, path, reading, blank_reason=blank, notes=notes)))
        else:
            print(answer_line(model, path, reading, blank_reason=blank))
    return EXIT_ERROR if failures else 0


def cmd_calibrate(args) -> int:
    from .artifacts import current_command
    from .pipeline import calibrate_bundle

    log = (lambda _: None) if args.quiet else (lambda line: print(line, flush=True))
    rates = {"likelihood": args.reject_rate} if args.reject_rate is not None else None
    manifest = calibrate_bundle(args.model, data_dir=args.data_dir, rates=rates, command=current_command(), log=log,
                                progress=not args.quiet)
    c = manifest["calibration"]
    tests = ", ".join(f"{k} {v:.3f}" for k, v in c["rates"].items())
    print(f"calibrated {args.model}: validation images refused per test: {tests}; temperature {c['temperature']:.2f}")
    return 0


def cmd_info(args) -> int:
    from .artifacts import load_manifest

    manifest = load_manifest(args.model, verify=True)  # checked against latent.schema: the fields below exist
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    m, ds, cfg = manifest.get("metrics", {}), manifest["dataset"], manifest["config"]
    calibration = manifest["calibration"]

    def num(d: dict, key: str, spec: str = ".4f") -> str:
        return "?" if d.get(key) is None else format(d[key], spec)

    print(f"bundle        {args.model} (schema {manifest['schema_version']}, created {manifest.get('created')})")
    print(f"dataset       {ds['name']}: {', '.join(ds['class_names'])}")
    print(f"autoencoder   latent size {cfg['autoencoder']['latent_dim']}, "
          f"{cfg.get('training', {}).get('epochs', '?')} epochs")
    print(f"mixtures      {cfg['mixture']['n_components']} components per class, "
          f"{cfg['mixture'].get('covariance_type', 'full')} covariance")
    if m:
        print(f"accuracy      train {num(m, 'train_accuracy')}, test {num(m, 'test_accuracy')} "
              f"(one mixture for all: {num(m, 'single_mixture_test_accuracy')})")
        print(f"recon. mse    test {num(m, 'test_reconstruction_mse')}")
    print(f"'none' below  {calibration['reject_below']:.2f} "
          f"({num(calibration, 'val_rejection_rate', '.0%')} of validation images)")
    print(f"built by      {manifest.get('command')}")
    print("files:")
    for name, f in manifest["files"].items():
        print(f"  {name:<28}{f['bytes'] / 1024:>8.0f} KiB  sha256 {f['sha256'][:16]}...")
    return 0


def cmd_map(args) -> int:
    from .map_inverse import add_to_bundle

    add_to_bundle(args.model, size=args.grid, force=args.force, log=print)
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "sweep": cmd_sweep, "judge": cmd_judge, "classify": cmd_classify,
            "calibrate": cmd_calibrate, "info": cmd_info, "map": cmd_map}


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
