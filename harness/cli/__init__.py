"""The command line: it only parses, builds a config and calls a plain function.

A user mistake (``UserError``) is printed as one line and exits with status 2;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import re
import sys

from backends import UserError

from harness.results.words import did_you_mean


def _typed(check, *args):
    """An argparse type from a ``harness.inputs.validate`` check: the same words on the command line as in the API."""
    def parse(text):
        from harness.inputs import validate
        try:
            return getattr(validate, check)(*args, text)
        except UserError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    parse.__name__ = check          # argparse names the type in some messages
    return parse


def _int(label):
    return _typed("integer", label)


def _int_list(label):
    return _typed("integers", label)


def _names(label):
    return _typed("names", label)


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line and exit 2, like every UserError, and a mistyped option or
    command is answered with the closest valid one."""

    def parse_args(self, args=None, namespace=None):
        args, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self._commands().get(getattr(args, "command", None), self)
            options = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
            hints = [f"{x}{did_you_mean(x.split('=')[0], options)}" for x in extras]
            self.prog = command.prog
            self.error(f"unrecognized arguments: {' '.join(hints)}")
        return args

    def _commands(self) -> dict:
        return next((a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction)), {})

    def error(self, message):
        wrong = re.match(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if wrong:
            valid = re.findall(r"'([^']*)'", wrong.group(3))
            message = (f"argument {wrong.group(1)}: invalid choice '{wrong.group(2)}'"
                       f"{did_you_mean(wrong.group(2), valid)}; valid: {', '.join(valid)}")
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m harness",
                     description="Compare hybrid quantum-classical PyTorch models across backends.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="backends, circuits and tasks, and what is available here")
    p.add_argument("--json", dest="as_json", action="store_true", help="print it as one JSON object")
    p.add_argument("--circuit", help="describe one circuit (a built-in name or a file) and which backends serve it")
    _circuit_options(p)

    p = sub.add_parser("check", help="compare every backend's outputs and gradients with the torch reference")
    p.add_argument("--circuits", type=_names("circuits"),
                   help="comma-separated built-in names or circuit files (.py, .qasm) (default: every built-in)")
    p.add_argument("--circuit", dest="circuit_file", help="one circuit (a name or a file), as run takes it")
    _circuit_options(p)
    p.add_argument("--json", dest="as_json", action="store_true",
                   help="print the points used and every backend's outputs and gradients there as JSON")
    p.add_argument("--backends", type=_names("backends"), help="comma-separated backend names (default: all)")
    p.add_argument("--qubits", type=_int("qubits"), help="entangler qubits (default 4)")
    p.add_argument("--layers", type=_int("layers"), help="entangler layers (default 2)")
    p.add_argument("--batch", type=_int("batch size"), default=4, help="batch size (default 4)")
    p.add_argument("--seed", type=_int("seed"), default=0)
    p.add_argument("--shots", type=_typed("shots"), help="sample this many shots (default: exact)")
    p.add_argument("--threads", type=_int("threads"), help="thread budget for torch and the simulators")
    p.add_argument("--tolerance", type=_typed("number", "tolerance"), default=1e-5,
                   help="exact-mode bound on |difference| (1e-5)")
    p = sub.add_parser("run", help="train one task on one backend in a fresh process and record the result")
    _run_options(p)
    p = sub.add_parser("sweep", help="run a grid of configurations, one fresh process at a time; resumable")
    p.add_argument("--backends", type=_names("backends"), default=("all",),
                   help="comma-separated, or 'all' (default)")
    p.add_argument("--tasks", type=_names("tasks"), default=("moons",),
                   help="comma-separated, or 'all' (default moons)")
    p.add_argument("--seeds", type=_int_list("seed"), default=(0,), help="comma-separated (default 0)")
    p.add_argument("--qubits", type=_int_list("qubits"), default=(), help="scaling task: e.g. 2,4,6,8")
    p.add_argument("--layers", type=_int_list("layers"), default=(), help="scaling task: e.g. 1,3")
    p.add_argument("--batch-sizes", type=_int_list("batch size"), default=(), help="e.g. 16 (default: task's)")
    p.add_argument("--force", action="store_true", help="re-run configurations already stored as ok")
    p.add_argument("--rerun-other-code", action="store_true",
                   help="re-run stored ok configurations that were measured by other code (code_version)")
    p.add_argument("--retry-timeouts", action="store_true",
                   help="re-run stored timeouts of this code (kept as results by default, like ok runs)")
    p.add_argument("--rerun-busy", action="store_true",
                   help="re-run stored ok configurations whose every run was timed on a busy machine")
    p.add_argument("--drop-slow", type=_typed("number", "drop-slow factor"), metavar="FACTOR",
                   help="after the first seed, run no more seeds of a backend whose run lies this many times "
                        "beyond its race's leader, at least 4 (the report's far-apart factor); default: every "
                        "seed of every backend")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: one run after another here (default); ray: one Ray task per configuration")
    p.add_argument("--address", help="ray: join the Ray cluster at this address (default: start one here)")
    p.add_argument("--per-node", type=_int("per node"), default=1,
                   help="ray: runs at once per node (default 1; more disturb each other's timings)")
    _run_options(p, single=False)

    p = sub.add_parser("advise", help="the pick for your configuration: check, then race the backends in rounds "
                                      "within a budget")
    p.add_argument("--backends", type=_names("backends"), default=("all",),
                   help="comma-separated, or 'all' (default: every framework choice available here)")
    p.add_argument("--budget", default="10m", help="wall-clock budget for the whole command: 10m, 90s, 1h (10m)")
    p.add_argument("--qubits", type=_int("qubits"), help="entangler qubits (task scaling)")
    p.add_argument("--layers", type=_int("layers"), help="entangler layers (task scaling)")
    p.add_argument("--batch-size", type=_int("batch size"), help="override the task's batch size")
    p.add_argument("--task", default="scaling", help="the task (default scaling)")
    p.add_argument("--json", dest="as_json", action="store_true", help="print the advice as one JSON object")
    _run_options(p, single=False)

    p = sub.add_parser("report", help="tables, crossovers, advice and plots from the results store")
    p.add_argument("--results", default="results", help="results folder to read (default results/)")
    p.add_argument("--format", default="md", help="md (with PNG plots), csv or html (default md)")
    p.add_argument("--out", help="output folder (default: <results>/report)")
    p.add_argument("--reference", default="torch", help="backend that speeds are relative to (default torch)")
    p.add_argument("--benchmarks", nargs="*", default=None,
                   help="pytest-benchmark JSON files (default: <results>/benchmarks/*.json)")
    p.add_argument("--include-busy", action="store_true",
                   help="count runs timed on a busy machine (default: left out of every claim, listed apart)")
    p.add_argument("--self-contained", action="store_true",
                   help="html only: embed the plots in report.html (data URIs), so the one file can be sent alone")

    p = sub.add_parser("compare", help="two results stores (or pytest-benchmark JSON files) side by side")
    p.add_argument("a", help="baseline: a results folder (runs.jsonl) or a pytest-benchmark JSON file")
    p.add_argument("b", help="the one compared with it, of the same kind")
    p.add_argument("--format", default="md", help="md or csv (default md), printed on stdout")
    p.add_argument("--fail-if-slower", type=_typed("number", "fail-if-slower ratio"), metavar="RATIO",
                   help="exit 1 when a group of B is distinguishably slower than A by more than RATIO (e.g. 1.1)")
    p.add_argument("--include-busy", action="store_true",
                   help="count runs timed on a busy machine (default: left out, and counted per side)")
    return parser


def _run_options(p, single=True):
    from harness.tasks import TASKS
    if single:
        p.add_argument("--backend", default="torch", help="backend name (see 'list'; default torch)")
        p.add_argument("--task", default="moons", help=f"one of {', '.join(TASKS)} (default moons)")
        p.add_argument("--seed", type=_int("seed"), default=0)
        p.add_argument("--qubits", type=_int("qubits"), help="entangler qubits (task scaling)")
        p.add_argument("--layers", type=_int("layers"), help="entangler layers (task scaling)")
        p.add_argument("--batch-size", type=_int("batch size"), help="override the task's batch size")
    p.add_argument("--circuit", help="swap the task's circuit: a built-in name (mnist tasks: textbook or "
                                     "tutorial) or your own file: Qiskit or PennyLane .py, OpenQASM 3 .qasm")
    _circuit_options(p)
    p.add_argument("--digits", type=_typed("digits"), help="MNIST digit pair, e.g. 3,7")
    p.add_argument("--shots", type=_typed("shots"), help="sample this many shots (default: exact)")
    p.add_argument("--threads", type=_int("threads"),
                   help="thread budget (default: every CPU this process may use, affinity and cgroup quota)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set an environment variable for the run, e.g. OMP_WAIT_POLICY=ACTIVE; recorded and "
                        "part of the configuration (repeatable). Otherwise your environment passes through as is")
    p.add_argument("--timeout", type=_typed("number", "timeout"), help="seconds before a run is killed")
    p.add_argument("--epochs", type=_int("epochs"), help="override the task's epochs")
    p.add_argument("--lr", type=_typed("number", "lr"), help="override the task's learning rate")
    p.add_argument("--train-size", type=_int("train size"), help="training samples (per class for MNIST)")
    p.add_argument("--test-size", type=_int("test size"), help="test samples (per class for MNIST)")
    p.add_argument("--data-dir", help="folder with MNIST IDX files (or set HARNESS_MNIST_DIR)")
    p.add_argument("--results", default="results", help="results folder (default results/)")
    if single:
        p.add_argument("--json", dest="as_json", action="store_true",
                       help="print the result row as one JSON object on stdout")


def _circuit_options(p):
    p.add_argument("--observables", metavar="SPEC",
                   help="the outputs instead of the circuit's own: comma-separated, each a sum such as "
                        "'0.5*X0Z1 + Y2' (Pauli letters with their wires, real coefficients)")
    p.add_argument("--inputs", dest="input_names", metavar="NAMES",
                   help="a circuit file's input parameters by name, comma-separated (default: README's rule)")
    p.add_argument("--weights", dest="weight_names", metavar="NAMES",
                   help="a circuit file's weight parameters by name, comma-separated")


NOT_STORED = 3       # the run finished but its row is in a fallback file, not in the store


def main(argv=None) -> int:
    from harness.executing.display import safe
    # what the harness prints must never stop the work: a closed pipe silences the display only; the
    # caller's streams come back afterwards (tests and the Python API call main in-process)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = safe(sys.stdout), safe(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


# flags whose value may begin with '-' (an output '-Z0 + X1', a budget '-5m' that validation refuses in its
# own words): argparse would take such a value for an option and say only "expected one argument"
SIGNED_VALUES = ("--observables", "--budget")


def _signed_values_joined(argv: list[str]) -> list[str]:
    out = []
    for arg in argv:
        if out and out[-1] in SIGNED_VALUES and arg.startswith("-") and not arg.startswith("--"):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def _main(argv) -> int:
    argv = [*(sys.argv[1:] if argv is None else argv)]     # (`list` here is the list command)
    args = build_parser().parse_args(_signed_values_joined(argv))
    from harness.executing.signals import Interrupted
    from harness.results.store import RowNotStored
    try:
        return _dispatch(args)
    except RowNotStored as err:
        print(f"error: {err}", file=sys.stderr)
        if getattr(args, "as_json", False):
            import json
            print(json.dumps(err.row))
        return NOT_STORED
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(stop.describe(), file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    """The options, as keyword arguments, onto the command module's ``run``."""
    import importlib
    options = {k: v for k, v in vars(args).items() if k != "command"}
    return importlib.import_module(f"harness.cli.{args.command}").run(**options)
