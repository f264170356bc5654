"""The command line: it only parses, builds a config and calls a plain function.

A user mistake (``UserError``) is printed as one line and exits with status 2;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys

from backends import UserError


def _int(label, minimum=1):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label} must be an integer; received '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{label} must be at least {minimum}; received {value}")
        return value
    return parse


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _shots(text: str) -> int:
    return _int("shots")(text)


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line and exit 2, like every UserError."""

    def error(self, message):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m harness",
                     description="Compare hybrid quantum-classical PyTorch models across backends.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="backends, circuits and tasks, and what is available here")
    p.add_argument("--json", action="store_true", help="print it as one JSON object")

    p = sub.add_parser("check", help="compare every backend's outputs and gradients with the torch reference")
    p.add_argument("--circuits", type=_names, help="comma-separated circuit names (default: all)")
    p.add_argument("--backends", type=_names, help="comma-separated backend names (default: all)")
    p.add_argument("--qubits", type=_int("qubits"), help="entangler qubits (default 4)")
    p.add_argument("--layers", type=_int("layers"), help="entangler layers (default 2)")
    p.add_argument("--batch", type=_int("batch"), default=4, help="batch size (default 4)")
    p.add_argument("--seed", type=_int("seed", 0), default=0)
    p.add_argument("--shots", type=_shots, help="sample this many shots (default: exact)")
    p.add_argument("--threads", type=_int("threads"), help="thread budget for torch and the simulators")
    p.add_argument("--tolerance", type=float, default=1e-5, help="exact-mode bound on |difference| (1e-5)")
    p = sub.add_parser("run", help="train one task on one backend in a fresh process and record the result")
    _run_options(p)
    p = sub.add_parser("sweep", help="run a grid of configurations, one fresh process at a time; resumable")
    p.add_argument("--backends", type=_names, default=("all",), help="comma-separated, or 'all' (default)")
    p.add_argument("--tasks", type=_names, default=("moons",), help="comma-separated, or 'all' (default moons)")
    p.add_argument("--seeds", type=_int_list("seeds", 0), default=(0,), help="comma-separated (default 0)")
    p.add_argument("--qubits", type=_int_list("qubits"), default=(), help="scaling task: e.g. 2,4,6,8")
    p.add_argument("--layers", type=_int_list("layers"), default=(), help="scaling task: e.g. 1,3")
    p.add_argument("--batch-sizes", type=_int_list("batch sizes"), default=(), help="e.g. 16 (default: task's)")
    p.add_argument("--force", action="store_true", help="re-run configurations already stored as ok")
    _run_options(p, single=False)

    p = sub.add_parser("report", help="tables, crossovers, advice and plots from the results store")
    p.add_argument("--results", default="results", help="results folder to read (default results/)")
    p.add_argument("--format", default="md", help="md (with PNG plots), csv or html (default md)")
    p.add_argument("--out", help="output folder (default: <results>/report)")
    p.add_argument("--reference", default="torch", help="backend that speeds are relative to (default torch)")
    p.add_argument("--benchmarks", nargs="*", default=None,
                   help="pytest-benchmark JSON files (default: <results>/benchmarks/*.json)")

    p = sub.add_parser("compare", help="two results stores (or pytest-benchmark JSON files) side by side")
    p.add_argument("a", help="baseline: a results folder (runs.jsonl) or a pytest-benchmark JSON file")
    p.add_argument("b", help="the one compared with it, of the same kind")
    p.add_argument("--format", default="md", help="md or csv (default md), printed on stdout")
    return parser


def _int_list(label, minimum=1):
    def parse(text):
        one = _int(label, minimum)
        return tuple(one(t.strip()) for t in text.split(",") if t.strip())
    return parse


def _digits(text: str) -> tuple[int, int]:
    parts = [t.strip() for t in text.split(",")]
    try:
        digits = tuple(int(t) for t in parts)
    except ValueError:
        digits = ()
    if len(digits) != 2 or digits[0] == digits[1] or not all(0 <= d <= 9 for d in digits):
        raise argparse.ArgumentTypeError(f"digits must be two different digits 0-9 such as 3,7; received '{text}'")
    return digits


def _positive_float(label):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{label} must be a positive number; received '{text}'")
        return value
    return parse


def _run_options(p, single=True):
    from .tasks import TASKS
    if single:
        p.add_argument("--backend", default="torch", help="backend name (see 'list'; default torch)")
        p.add_argument("--task", default="moons", help=f"one of {', '.join(TASKS)} (default moons)")
        p.add_argument("--seed", type=_int("seed", 0), default=0)
        p.add_argument("--qubits", type=_int("qubits"), help="entangler qubits (task scaling)")
        p.add_argument("--layers", type=_int("layers"), help="entangler layers (task scaling)")
        p.add_argument("--batch-size", type=_int("batch size"), help="override the task's batch size")
    p.add_argument("--circuit", help="swap the task's circuit (mnist tasks: textbook or tutorial)")
    p.add_argument("--digits", type=_digits, help="MNIST digit pair, e.g. 3,7")
    p.add_argument("--shots", type=_shots, help="sample this many shots (default: exact)")
    p.add_argument("--threads", type=_int("threads"),
                   help="thread budget (default: every CPU this process may use, affinity and cgroup quota)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set an environment variable for the run, e.g. OMP_WAIT_POLICY=ACTIVE; recorded and "
                        "part of the configuration (repeatable). Otherwise your environment passes through as is")
    p.add_argument("--timeout", type=_positive_float("timeout"), help="seconds before a run is killed")
    p.add_argument("--epochs", type=_int("epochs"), help="override the task's epochs")
    p.add_argument("--lr", type=_positive_float("lr"), help="override the task's learning rate")
    p.add_argument("--train-size", type=_int("train size"), help="training samples (per class for MNIST)")
    p.add_argument("--test-size", type=_int("test size"), help="test samples (per class for MNIST)")
    p.add_argument("--data-dir", help="folder with MNIST IDX files (or set HARNESS_MNIST_DIR)")
    p.add_argument("--results", default="results", help="results folder (default results/)")
    if single:
        p.add_argument("--json", action="store_true", help="print the result row as one JSON object on stdout")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    if args.command == "list":
        from .listing import format_listing, listing_json
        print(listing_json() if args.json else format_listing())
        return 0
    if args.command == "compare":
        from .compare import compare, format_comparison
        if args.format not in ("md", "csv"):
            raise UserError(f"unknown compare format '{args.format}'; valid: md, csv")
        result = compare(args.a, args.b)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(format_comparison(result, args.format), end="")
        return 0
    if args.command == "check":
        from .check import CheckConfig, format_report, run_check
        defaults = CheckConfig()
        cfg = CheckConfig(circuits=args.circuits or defaults.circuits, backends=args.backends or defaults.backends,
                          qubits=args.qubits, layers=args.layers, batch=args.batch, seed=args.seed,
                          shots=args.shots, tolerance=args.tolerance, threads=args.threads)
        report = run_check(cfg)
        print(format_report(report))
        return 0 if report.ok else 1
    if args.command == "run":
        import json

        from .config import RunConfig, parse_env
        from .runner import run_config, summary
        cfg = RunConfig(task=args.task, backend=args.backend, circuit=args.circuit, qubits=args.qubits,
                        layers=args.layers, digits=args.digits, seed=args.seed, shots=args.shots,
                        threads=args.threads, env=parse_env(args.env), epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, train_size=args.train_size,
                        test_size=args.test_size, data_dir=args.data_dir, timeout_s=args.timeout)
        row = run_config(cfg, results_dir=args.results)
        print(summary(row), file=sys.stderr)
        if args.json:
            print(json.dumps(row))
        return 0 if row["status"] == "ok" else 1
    if args.command == "sweep":
        from .config import RunConfig, parse_env
        from .sweep import SweepConfig, run_sweep
        base = RunConfig(circuit=args.circuit, digits=args.digits, shots=args.shots, threads=args.threads,
                         env=parse_env(args.env), epochs=args.epochs, lr=args.lr, train_size=args.train_size, test_size=args.test_size,
                         data_dir=args.data_dir, timeout_s=args.timeout)
        counts = run_sweep(SweepConfig(backends=args.backends, tasks=args.tasks, seeds=args.seeds,
                                       qubits=args.qubits, layers=args.layers, batch_sizes=args.batch_sizes,
                                       base=base, force=args.force), results_dir=args.results)
        print("sweep done: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v), file=sys.stderr)
        return 0 if not (counts["failed"] or counts["killed"]) else 1
    if args.command == "report":
        from pathlib import Path

        from .render import FORMATS, write
        from .report import build_report
        if args.format not in FORMATS:
            raise UserError(f"unknown report format '{args.format}'; valid: {', '.join(FORMATS)}")
        bench = args.benchmarks if args.benchmarks is not None else sorted(
            str(p) for p in (Path(args.results) / "benchmarks").rglob("*.json"))
        report = build_report(args.results, reference=args.reference, benchmark_files=bench)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        path = write(report, args.out or Path(args.results) / "report", args.format)
        print(f"report written to {path}")
        return 0
    raise AssertionError(args.command)
