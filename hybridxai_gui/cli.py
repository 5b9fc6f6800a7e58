"""`hybridxai`: the headless command line over the same core as the app.

    hybridxai train DATA.csv [--test TEST.csv] [--label COL] [...] --out MODEL.pth
    hybridxai cv DATA.csv --label COL --folds K [--repeats R] [--seed N] [train options] --out DIR
    hybridxai evaluate MODEL.pth DATA.csv [--out DIR]
    hybridxai predict MODEL.pth DATA.csv --out PRED.csv [--with-logits] [--coverage 0.9]
    hybridxai explain MODEL.pth DATA.csv [--rows 0-9,15] [--method auto|...] [--units probability|logit]
                      [--background BG.csv] [--figures all|none|N] [--formats png,eps] --out DIR
    hybridxai info MODEL.pth [--json]
    hybridxai report MODEL.pth [--data TEST.csv [--rows 0-4]] [--cv DIR] --out REPORT.html|REPORT.pdf

Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 internal error.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

from .cli_args import UsageError, _configs_from_args, build_parser, raise_usage  # noqa: F401  (tests use them here)
from .cli_output import Progress, coverage_text, fmt, one_line, print_note, safe_path

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


def cmd_train(args) -> int:
    from .core.errors import HybridXAIError, template_of
    from .core.evaluation.metrics import format_report
    from .core.pipeline import PreparedData, TrainingRequest, drain, run_training
    from .core.pipeline import CalibrationProgress, EpochMetrics
    from .outputs.training import check_training_outputs, save_training_outputs

    from .core.pipeline import launched_world

    data_cfg, model_cfg, train_cfg, runtime_cfg = _configs_from_args(args)
    out = Path(args.out)
    if out.suffix.lower() != ".pth":
        raise_usage(f"--out must name a .pth file, got '{args.out}'")
    if not out.parent.exists():
        raise_usage(f"the folder of --out '{out.parent}' does not exist")
    check_training_outputs(out)  # before training: a folder or device in the way would waste the run
    if args.nproc < 1:
        raise_usage(f"--nproc must be at least 1, got {args.nproc}")
    from .core.pipeline import available_cpus

    if args.nproc > available_cpus():  # more workers than cores only take turns on them, slower than fewer
        raise_usage(f"--nproc {args.nproc}: this machine gives this process {available_cpus()} CPU core(s); each "
                    f"worker needs one: use --nproc {available_cpus()} or fewer")
    world = launched_world()
    if args.nproc > 1 and not world.distributed:
        from .launch import run_workers

        return run_workers(args.nproc, ["train", *args.argv])
    if not world.is_main:  # the other workers train silently; rank 0 prints and writes
        sys.stdout = open(os.devnull, "w")

    shown = {"fold": 0}

    def show(item) -> None:
        if isinstance(item, PreparedData):
            for w in item.warnings:
                print_note(w)
            what = "series" if item.series is not None else "rows"
            inputs = (item.series.describe() if item.series is not None else
                      f"{len(item.feature_names)} features")
            print(f"{len(item.y_train)} training, {len(item.y_val)} validation, {len(item.y_test)} test {what}; "
                  f"{inputs}; classes: {', '.join(item.class_names)}")
        elif isinstance(item, CalibrationProgress) and item.fold != shown["fold"]:
            shown["fold"] = item.fold
            print(f"prediction sets: training fold model {item.fold}/{item.folds} (cross-conformal: it scores the "
                  "training rows it does not see)", flush=True)
        elif isinstance(item, EpochMetrics) and not args.quiet:
            print(f"epoch {item.epoch:>3}/{item.epochs}  loss {item.train_loss:.4f}  acc {item.train_acc:.4f}  "
                  f"val_loss {fmt(item.val_loss)}  val_acc {fmt(item.val_acc)}  "
                  f"test_loss {fmt(item.test_loss)}  test_acc {fmt(item.test_acc)}  "
                  f"lr {item.lr:.2e}  {item.seconds:.2f}s", flush=True)

    request = TrainingRequest(args.data, args.test, data_cfg, model_cfg, train_cfg, runtime_cfg)
    try:
        outcome = drain(run_training(request, world=world), show)
    finally:
        from .core.pipeline import shutdown_workers

        shutdown_workers()
    result, evaluation, trained = outcome.result, outcome.evaluation, outcome.trained
    if not world.is_main:
        return EXIT_OK if result.reason != "diverged" else EXIT_USAGE
    print(result.message)
    if world.distributed:
        print(f"trained with {world.size} workers (torch.distributed)")
    report = format_report(evaluation) if evaluation is not None else None
    if evaluation is not None:
        report += "\n" + coverage_text(trained, evaluation, outcome.uncertainty)
    saved = save_training_outputs(trained, out, result.best_epoch, report,
                                  optimizer_state=result.optimizer_state if args.save_optimizer else None)
    path, stem = saved.model, saved.model.with_suffix("")
    if saved.problem is not None:  # the model is safe on disk; say so, and why the rest is missing
        raise HybridXAIError(f"The model was saved to {path}, but writing the files beside it failed (those of "
                             f"an earlier run were removed): {template_of(saved.problem)}")
    print(f"saved model to {safe_path(path)}, per-epoch results to {safe_path(stem)}_results.csv, "
          f"figures to {safe_path(stem)}_training.png/.eps" + (f", test evaluation to {safe_path(stem)}_evaluation.txt"
                                                    if evaluation is not None else ""))
    if evaluation is not None:
        print(f"\ntest set evaluation ({len(evaluation.y_true)} rows):")
        print(report)
    return EXIT_OK if result.reason != "diverged" else EXIT_USAGE


def cmd_evaluate(args) -> int:
    from .core.model_files.checkpoint import load_checkpoint
    from .core.pipeline import read_table
    from .core.evaluation.metrics import format_report
    from .core.pipeline import evaluate_frame
    from .core.model_files.fileio import output_folder
    from .outputs.evaluation import save_evaluation_outputs

    if args.out:  # before the work: a file in the way, or a folder that cannot be written
        output_folder(args.out)
    trained = load_checkpoint(args.model)
    name = Path(args.data).name
    frame = read_table(args.data, label=args.label or trained.label_column)
    result, labelled = evaluate_frame(trained, frame, name, args.label, args.missing)
    if labelled.dropped:
        print_note(f"left out {labelled.dropped} row(s) of {name} with missing or infinite values")
    for note in labelled.notes:  # the policy that acted, when --missing mean filled gaps
        print_note(note)
    print(format_report(result))
    print(coverage_text(trained, result), end="")
    if args.out:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise_usage(f"--out must name a folder, but '{safe_path(args.out)}' is a file (or a device, pipe or socket)")
        output_folder(out, create=True)
        save_evaluation_outputs(result, out)
        print(f"\nwrote metrics.json, classification_report.csv, predictions.csv and confusion_matrix.png/.eps "
              f"to {safe_path(out)}")
    return EXIT_OK


def cmd_predict(args) -> int:
    from .core.model_files.checkpoint import load_checkpoint
    from .core.pipeline import read_table
    from .core.evaluation.metrics import format_report
    from .core.model_files.fileio import check_writable, write_csv
    from .core.pipeline import predict_frame

    from .core.evaluation.uncertainty import check_coverage

    if args.coverage is not None:
        check_coverage(args.coverage)  # before the work: one line, exit 2
    check_writable(args.out)  # before the work: a folder, device or pipe of that name is never replaced
    trained = load_checkpoint(args.model)
    frame = read_table(args.data, label=trained.label_column)
    predictions = predict_frame(trained, frame, Path(args.data).name, args.missing, args.with_logits, args.coverage)
    if predictions.dropped:  # one line per input row, in order: the rows left out get empty cells
        print_note(f"{predictions.dropped} row(s) with missing or infinite values were not predicted "
              "(empty cells in their lines)")
    for note in predictions.notes:  # the policy that acted, when --missing mean filled gaps
        print_note(note)
    write_csv(predictions.table, Path(args.out))
    what = "series" if trained.series is not None and trained.series.layout == "long" else "rows"
    print(f"predicted {len(predictions.table)} {what} -> {safe_path(args.out)}")
    rows = predictions.uncertainty
    if args.coverage is not None and rows is not None:
        if rows.sets is not None:
            print(f"prediction sets at coverage {rows.coverage:g}: mean size {rows.sets.sum(axis=1).mean():.2f} "
                  f"classes; {int((rows.sets.sum(axis=1) == 1).sum())} of {len(rows.sets)} hold one class")
        if rows.unlike is not None:
            print(f"unlike the training data: {int(rows.unlike.sum())} of {len(rows.unlike)} {what}")
    if predictions.evaluation is not None:
        print(f"\nthe file holds the label column '{trained.label_column}': evaluation of the "
              f"{len(predictions.evaluation.y_true)} predicted rows against it:")
        print(format_report(predictions.evaluation))
    elif predictions.label_note:
        print_note(predictions.label_note)
    return EXIT_OK


def cmd_cv(args) -> int:
    from .core.evaluation.crossval import CrossValidationConfig, FoldResult, FoldStarted, cross_validate
    from .core.model_files.fileio import output_folder
    from .core.pipeline import TrainingRequest, drain
    from .outputs.crossval import write_cv_outputs

    data_cfg, model_cfg, train_cfg, runtime_cfg = _configs_from_args(args)
    cv = CrossValidationConfig(folds=args.folds if args.folds is not None else 5, repeats=args.repeats,
                               scheme=args.scheme,
                               auto_folds=args.folds is None,
                               test_size=args.test_size if args.test_size is not None else 0.2,
                               baselines=args.baselines)
    cv.validate()
    out = None if args.out is None else Path(args.out)  # no --out: the results are printed, no file is written
    if out is not None:
        if out.exists() and not out.is_dir():
            raise_usage(f"--out must name a folder, but '{safe_path(args.out)}' is a file")
        output_folder(out)  # before the folds: a read-only or forbidden folder would waste every one of them

    def show(item) -> None:
        if args.quiet:
            return
        if isinstance(item, FoldStarted):
            print(f"fold {item.index + 1}/{item.total}: {item.n_train} training, {item.n_val} validation, "
                  f"{item.n_test} held-out {item.unit} ...", end="", flush=True)
        elif isinstance(item, FoldResult):
            others = "".join(f", {name.replace('_', ' ')} {d['accuracy']:.4f}" for name, d in item.baselines.items())
            print(f" accuracy {item.metrics['accuracy']:.4f}, macro F1 {item.metrics['macro_f1']:.4f}{others} "
                  f"({item.epochs} epochs, {item.seconds:.1f}s)", flush=True)

    request = TrainingRequest(args.data, args.test, data_cfg, model_cfg, train_cfg, runtime_cfg)
    result = drain(cross_validate(request, cv), show)
    for note in result.notes:
        print_note(note)
    if out is not None:
        write_cv_outputs(result, output_folder(out, create=True))
    print(f"\n{result.describe()}")
    for metric in result.metric_names:
        mean, sd = result.summary(metric)
        print(f"  {metric:<18} {fmt(mean)} ± {fmt(sd)}   per fold: "
              + " ".join(fmt(v, '.3f') for v in result.values(metric)))
    if result.test_source:
        mean, sd = result.test_file_summary("accuracy")
        print(f"  on {result.test_source} (never used to choose): accuracy {fmt(mean)} ± {fmt(sd)}")
    print("\nmodel                 accuracy (mean ± sd)   macro F1 (mean ± sd)")
    for model in result.models:
        (a, a_sd), (f, f_sd) = result.summary("accuracy", model), result.summary("macro_f1", model)
        print(f"  {model:<20} {fmt(a)} ± {fmt(a_sd)}        {fmt(f)} ± {fmt(f_sd)}")
    if out is not None:
        print(f"\nwrote cv_metrics.csv, baselines.csv, cv_summary.json and cv_spread.png to {safe_path(out)}")
    else:
        print("\n(no files written: --out DIR saves cv_metrics.csv, baselines.csv, cv_summary.json and cv_spread.png)")
    return EXIT_OK


def cmd_report(args) -> int:
    from .core.errors import HybridXAIError, setting
    from .core.evaluation.crossval_checks import model_mismatch
    from .core.evaluation.metrics import EvaluationResult
    from .core.evaluation.run_report import build_report
    from .core.model_files.checkpoint import load_checkpoint
    from .core.model_files.fileio import check_writable
    from .core.pipeline import evaluate_frame, read_table
    from .outputs.crossval import load_cv_summary
    from .plotting.report import FORMATS, write_report

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise_usage(f"--out must name an .html or .pdf file, got '{safe_path(args.out)}'")
    if not out.parent.exists():
        raise_usage(f"the folder of --out '{safe_path(out.parent)}' does not exist")
    if not 0.0 <= args.threshold <= 1.0:
        raise_usage(f"--threshold must be between 0 and 1, got {args.threshold}")
    if args.rows and not args.data:
        raise_usage("--rows picks rows of --data: give the labelled file too")
    check_writable(out)  # before the model is loaded and the rows explained
    cv = load_cv_summary(args.cv) if args.cv else None  # a summary that cannot be shown is said before the work
    trained = load_checkpoint(args.model)
    notes = []
    if cv is not None:
        mismatch = model_mismatch(cv, trained)
        if mismatch:
            raise HybridXAIError(f"{setting('cv')} {args.cv}: the cross-validation is not about this model: "
                                 f"{mismatch}. Give the folder of a `cv` run with the model's data and settings, or "
                                 f"leave {setting('cv')} out.")
        if cv.recipe is None:
            notes.append("The cross-validation summary does not record its settings (it was written by an earlier "
                         "version), so only its classes could be checked against this model's.")
    evaluation, source = None, ""
    if args.data:
        name = Path(args.data).name
        frame = read_table(args.data, label=args.label or trained.label_column)
        evaluation, labelled = evaluate_frame(trained, frame, name, args.label, args.missing)
        source = f"rows of {name}" + (f" ({labelled.dropped} with missing values left out)" if labelled.dropped else "")
    elif trained.evaluation:
        evaluation, source = EvaluationResult.from_dict(trained.evaluation), "test rows (saved with the model)"
    explanations = []
    if args.rows:  # the explain command's path: a series model explains series (by id for a long file)
        from .core.explain.rows import explain_table_rows
        from .core.pipeline import drain

        run = drain(explain_table_rows(trained, frame, name, args.rows, label=args.label, method="auto",
                                       units="logit", faithfulness=False, missing=args.missing), Progress())
        explanations.append(run.shap)
    content = build_report(trained, evaluation=evaluation, evaluation_source=source, cross_validation=cv,
                           explanations=explanations, threshold=args.threshold, notes=notes)
    write_report(content, out)
    print(f"wrote the report to {safe_path(out)}")
    return EXIT_OK


def cmd_info(args) -> int:
    from .core.model_files.checkpoint import describe, load_checkpoint

    info = describe(load_checkpoint(args.model))
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return EXIT_OK
    lines = [f"HybridXAI model {info['file']} (created {info['created']})",
             f"  features ({info['features']}): {', '.join(info['feature_names'][:12])}"
             + (" ..." if info['features'] > 12 else ""),
             f"  classes ({len(info['classes'])}): {', '.join(info['classes'])}; label column '{info['label_column']}'"]
    if info["text_columns"]:  # one-hot parts of text columns, as the features above name them
        lines.append("  text columns: " + ", ".join(f"{name} ({len(values)} values)"
                                                    for name, values in info["text_columns"].items()))
    lines += [f"  parameters: {info['parameters']:,}; epochs trained: {info['epochs_trained']}, "
              + (f"best validation epoch {info['best_epoch']}" if info['best_epoch'] else "no validation rows")
              + f"; seed {info['seed']}",
              f"  model: {info['model_config']}", f"  training: {info['train_config']}", f"  data: {info['data_config']}"]
    if info["evaluation"]:
        lines.append(f"  test evaluation: {info['evaluation']}")
    lines.append(f"  prediction sets and unlike flag: {info['uncertainty']}")
    lines.append(f"  data hash: {info['data_hash'][:16]}...; versions: {info['versions']}")
    for line in lines:  # names and settings come from the file: its control characters are shown, not obeyed
        print(safe_path(line))
    return EXIT_OK


def cmd_explain(args) -> int:
    import time

    from .core.model_files.checkpoint import load_checkpoint
    from .outputs.explanations import explain_to_dir

    _set_threads(args.threads)  # --workers is checked by the parser (a count of 1 or more, or auto)
    start = time.perf_counter()
    trained = load_checkpoint(args.model)
    notes: list[str] = []
    run = explain_to_dir(trained, args.data, args.out, rows=args.rows, method=args.method,
                         background_path=args.background, progress=Progress(), units=args.units,
                         figures=args.figures, formats=args.formats, kind=None if args.kind == "auto" else args.kind,
                         segments=args.segments, workers=args.workers, missing=args.missing, notes=notes)
    for note in notes:
        print_note(note)
    result = run.shap
    if run.series is not None and result.grouped:
        sizes = sorted({len(g) for g in result.groups})
        steps = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
        print(f"SHAP over {len(result.groups)} units: {run.series.n_channels} channel(s) × "
              f"{len(result.groups) // run.series.n_channels} time segments of {steps} steps "
              f"(choose another count with --segments)")
    status = "OK" if result.additive else "WARNING: additivity check failed"
    print(f"explained {len(result.rows)} row(s) with {result.method} SHAP ({result.units}) against "
          f"{result.background_size} background rows in {result.seconds:.1f}s; largest additivity gap "
          f"{result.additivity_gap:.2e} ({status})")
    if result.sampling_message:
        print(result.sampling_message)
    if run.faithfulness is not None:
        print(run.faithfulness.ranking_text())
        flagged = run.faithfulness.randomisation.flagged if run.faithfulness.randomisation is not None else []
        if flagged:
            print(f"not explaining the model (unchanged with random weights): {', '.join(flagged)}")
    print(f"wrote {safe_path(args.out)}/shap_values.csv, faithfulness.csv, summary.txt and figures "
          f"in {time.perf_counter() - start:.1f}s")
    return EXIT_OK


def _set_threads(threads: int) -> None:
    import torch

    if threads < 1:
        raise_usage(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)


COMMANDS = {"train": cmd_train, "cv": cmd_cv, "evaluate": cmd_evaluate, "predict": cmd_predict, "info": cmd_info,
            "explain": cmd_explain, "report": cmd_report}


class _Stdout:
    """sys.stdout that survives its reader going away (`hybridxai train ... | head`): further output is
    dropped and the command runs to the end, so a model being trained is still saved."""

    def __init__(self, stream):
        self._stream, self.broken = stream, False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                from .core.errors import printable

                self._stream.write(printable(text, keep="\n\t"))  # no escape sequence from a name reaches the terminal
                return len(text)
            except BrokenPipeError:
                self._break()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._break()

    def _break(self) -> None:
        self.broken = True
        try:  # what is still buffered goes nowhere, also at interpreter exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    stdout = sys.stdout
    sys.stdout = _Stdout(stdout)
    try:
        return _main(argv, debug)
    finally:
        sys.stdout = stdout


def _main(argv: list[str] | None, debug: bool) -> int:
    try:
        raw = list(argv) if argv is not None else sys.argv[1:]
        args = build_parser().parse_args(raw)
        args.argv = raw[raw.index(args.command) + 1:] if args.command in raw else []  # for worker processes
        if not args.command:
            raise UsageError("hybridxai: choose a command: train, cv, evaluate, predict, explain, report or info "
                             "(see 'hybridxai --help')")
        from .core.errors import HybridXAIError, HybridXAIWarning

        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            try:
                return COMMANDS[args.command](args)
            except HybridXAIError as exc:
                # torchrun's workers (train --nproc): rank 0 alone says it; a process started any other way says
                # its own error, also when stale RANK / WORLD_SIZE variables are what is wrong
                if os.environ.get("RANK", "0") == "0" or not os.environ.get("TORCHELASTIC_RUN_ID"):
                    print(f"error: {one_line(exc)}", file=sys.stderr)
                return EXIT_USAGE
            finally:
                del HybridXAIWarning
    except UsageError as exc:
        print(one_line(exc), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line, the traceback only with --debug
        if debug:
            raise
        print(f"internal error: {type(exc).__name__}: {one_line(exc)} (rerun with --debug for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _show_warning(message, category, filename, lineno, file=None, line=None):
    from .core.errors import HybridXAIWarning

    if issubclass(category, HybridXAIWarning):
        from .core.errors import render

        print(f"warning: {one_line(render(str(message)))}",
              file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
