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

    sub.add_parser("list", help="backends, circuits and tasks, and what is available here")

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
    return parser


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
        from .listing import format_listing
        print(format_listing())
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
    raise AssertionError(args.command)
