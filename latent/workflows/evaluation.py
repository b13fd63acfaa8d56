"""`python -m latent evaluate`: every measure of a bundle on its dataset, and the report that prints them.

`evaluate_model` runs the measures (the pipeline's accuracies and reconstruction error, then the
optional ones: out-of-distribution detection, morphs, BIC-chosen sizes, generated foreign inputs,
sample fidelity) and can store them in the bundle's manifest; `format_report` turns them into the
plain table the command prints. The command line only parses the arguments and calls these.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from latent.bundle.model import LatentModel
from latent.density.gaussian import REG_COVAR
from latent.inputs.data import Dataset
from latent.paths import judges_root


def _quiet(_: str) -> None:
    pass


def evaluate_model(
    model: LatentModel,
    dataset_name: str | None = None,
    *,
    data_dir: str | None = None,
    ood: str | None = None,
    judge: str | os.PathLike | None = None,
    compare_auto: bool = False,
    junk: bool = False,
    junk_n: int = 300,
    leave_one_out: bool = True,
    leave_out_epochs: int | None = None,
    save: bool = False,
    command: str | None = None,
    log: Callable[[str], None] = _quiet,
    progress: bool = False,
) -> tuple[str, dict]:
    """(dataset name, metrics) of `model` on its dataset (or `dataset_name`); `save` stores them in its manifest.

    The judge in `judge` grades decoded samples; without one, the dataset's judge under the assets
    folder does when it exists.
    """
    from latent.explore.morph import code_graph, compare_paths
    from latent.inputs.data import load_dataset
    from latent.workflows.pipeline import evaluate_bundle

    name = dataset_name or model.manifest["dataset"]["name"]
    dataset = load_dataset(name, data_dir, progress=progress)
    metrics = evaluate_bundle(model, dataset, log=log)
    if ood:
        from latent.density.ood import evaluate_ood

        log(f"scoring {ood} test images as out-of-distribution")
        foreign = load_dataset(ood, data_dir, progress=progress)
        metrics.update(evaluate_ood(model, dataset.x_val, dataset.x_test, foreign.x_test), ood_dataset=ood)
    log("comparing straight and dense morphs")
    metrics.update(compare_paths(model, code_graph(model)))
    if compare_auto:
        metrics.update(compare_auto_components(model, dataset, log))
    if junk:
        from latent.workflows.foreign import evaluate_junk

        metrics["junk"] = evaluate_junk(
            model,
            dataset,
            n=junk_n,
            leave_one_out=leave_one_out,
            leave_out_epochs=leave_out_epochs,
            data_dir=data_dir,
            log=log,
            progress=progress,
        )
    judge_dir = Path(judge) if judge else judges_root() / name
    if judge or (judge_dir / "manifest.json").is_file():
        from latent.workflows.judge import Judge, sample_fidelity

        log(f"grading decoded samples with the judge in {judge_dir}")
        metrics.update(sample_fidelity(model, Judge.load(judge_dir)))
    if save:
        from latent.artifacts import update_manifest

        # merged into what earlier evaluations stored (README runs `--ood ...` and `--junk` as two commands),
        # and so are the commands: each stored figure was measured by one of them
        earlier = model.manifest.get("evaluation", {})
        update_manifest(
            model.directory,
            evaluation={
                **earlier,
                **metrics,
                "dataset": name,
                "command": command,
                "commands": merged_commands(earlier, command),
                "evaluated": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        log(f"stored the results in {Path(model.directory) / 'manifest.json'}")
    return name, metrics


def evaluation_commands(evaluation: dict) -> list[str]:
    """The evaluate commands behind a manifest's stored figures (its `evaluation` section), in order. A
    manifest from before the list has only its last command."""
    commands = evaluation.get("commands")
    if isinstance(commands, list):
        return commands
    return [evaluation["command"]] if isinstance(evaluation.get("command"), str) else []


# The options that each store a section of figures of their own; every evaluate stores the rest again.
SECTION_OPTIONS = ("--ood", "--compare-auto", "--junk")


def _sections(command: str) -> set[str]:
    """The SECTION_OPTIONS a command line gives (`--ood X` or `--ood=X`)."""
    words = command.split()
    return {option for option in SECTION_OPTIONS if any(w == option or w.startswith(option + "=") for w in words)}


def merged_commands(earlier: dict, command: str | None) -> list[str]:
    """`evaluation_commands(earlier)`, then `command`: an earlier command whose every figure `command` measures
    again is dropped (`--junk --no-leave-one-out`, then `--junk --leave-out-epochs 2`: the second's junk
    figures replace the first's), as is a repeated one."""
    if not command:
        return evaluation_commands(earlier)
    return [c for c in evaluation_commands(earlier) if not _sections(c) <= _sections(command)] + [command]


def compare_auto_components(model: LatentModel, dataset: Dataset, log: Callable[[str], None]) -> dict:
    """Test accuracy of mixtures refitted with BIC-chosen sizes on the bundle's own codes."""
    from latent.density.mixture import ClassGaussianMixture

    log("refitting the mixtures with BIC-chosen numbers of components (1..10 per class)")
    params = model.manifest["config"]["mixture"]
    auto = ClassGaussianMixture(
        "auto",
        covariance_type=params.get("covariance_type", "full"),
        reg_covar=params.get("reg_covar", REG_COVAR),
        random_state=0,
    )
    auto.fit(model.encode(dataset.x_train), dataset.y_train)
    z_test = model.encode(dataset.x_test)
    sizes = {name: int(k) for name, k in zip(model.class_names, auto.n_components_, strict=True)}
    return {
        "components_auto_test_accuracy": float(np.mean(auto.predict(z_test) == dataset.y_test)),
        "components_auto_per_class": sizes,
    }


def format_report(model: LatentModel, dataset: str, m: dict) -> str:
    ref = m.get("writeup_test_accuracy")
    lines = [
        f"model {model.directory} on {dataset}",
        "",
        f"{'':34}{'train':>8}{'test':>8}",
        f"{'per-class mixtures (this model)':34}{m['train_accuracy']:>8.4f}{m['test_accuracy']:>8.4f}",
        f"{'one mixture for all classes':34}{m['single_mixture_train_accuracy']:>8.4f}"
        f"{m['single_mixture_test_accuracy']:>8.4f}",
    ]
    if ref is not None:
        lines.append(f"{'original write-up':34}{'':>8}{ref:>8.4f}")
    lines += [
        "",
        f"validation accuracy        {m['val_accuracy']:.4f}",
        f"test reconstruction mse    {m['test_reconstruction_mse']:.4f}",
        f"test answered 'none'       {m['test_rejection_rate']:.4f} (threshold {model.threshold:.2f})",
        "",
        "per-class test accuracy:",
    ]
    lines += [f"  {name:<14}{acc:.4f}" for name, acc in m["per_class_test_accuracy"].items()]
    if "components_auto_test_accuracy" in m:
        ks = ", ".join(f"{n} {k}" for n, k in m["components_auto_per_class"].items())
        lines += [
            "",
            f"components chosen by BIC ({ks}): test accuracy {m['components_auto_test_accuracy']:.4f} "
            f"(fixed {model.manifest['config']['mixture']['n_components']}: {m['test_accuracy']:.4f})",
        ]
    if "morph_pairs" in m:
        lines += [
            "",
            f"morphs between {m['morph_pairs']} random pairs of styles   straight    dense",
            f"  mean best class log-likelihood per frame   {m['morph_straight_log_likelihood']:>8.2f} "
            f"{m['morph_dense_log_likelihood']:>8.2f}",
            f"  share of frames clearly source or target   {m['morph_straight_confident_share']:>8.3f} "
            f"{m['morph_dense_confident_share']:>8.3f}",
        ]
    if "sample_fidelity" in m:
        lines += [
            "",
            f"sample fidelity (an independent CNN, test accuracy {m['judge_test_accuracy']:.4f}, "
            f"names decoded class samples as intended)  {m['sample_fidelity']:.4f}",
            f"  judge's mean confidence: class samples {m['sample_judge_confidence']:.3f}, "
            f"uniform-box samples {m['uniform_judge_confidence']:.3f}",
        ]
    if "junk" in m:
        lines += ["", junk_table(m["junk"], m)]
    if "ood_auroc" in m:
        lines += [
            "",
            f"out-of-distribution: {m['ood_dataset']} test images ({m['ood_n']}) vs {dataset} test images",
            f"  AUROC, likelihood score       {m['ood_auroc_likelihood']:.4f}",
            f"  AUROC, reconstruction score   {m['ood_auroc_reconstruction']:.4f}",
            f"  AUROC, combined score         {m['ood_auroc_combined']:.4f}",
            f"  AUROC, pixel likelihood       {m['ood_auroc_pixel_likelihood']:.4f}",
            f"  AUROC, typicality score       {m['ood_auroc_typicality']:.4f}   (ood_auroc)",
            f"  answered 'none' at the stored threshold: {m['ood_rejected_at_threshold']:.4f} of foreign, "
            f"{m['test_rejected_at_threshold']:.4f} of own test images",
        ]
    return "\n".join(lines)


def junk_table(junk: dict, metrics: dict) -> str:
    """The `--junk` results as two plain tables: foreign kinds answered "none", digit sets read right."""
    lines = [
        f"answered 'none' (share of {next(iter(junk['junk'].values()))['n']} per kind)   bundle's rule   "
        "detector trained without its family"
    ]
    for kind, r in junk["junk"].items():
        left = r.get("none_left_out")
        lines.append(f"  {kind:<34}{r['none']:>10.3f}{'' if left is None else f'{left:>14.3f}'}")
    lines += ["", f"{'digits as people write them':<36}{'read right':>10}{'none':>8}"]
    for name, r in junk["digits"].items():
        lines.append(f"  {name:<34}{r['correct']:>10.3f}{r['none']:>8.3f}")
    lines.append(f"  {'own test images':<34}{junk['test']['accuracy']:>10.4f}{junk['test']['none']:>8.4f}")
    return "\n".join(lines)
