"""Every field a result row may hold, declared once.

Each ``Field`` says what it holds (kinds), its unit and span, whether it is
part of a configuration's identity (two rows with the same identity fields but
the seed are repeats of one configuration), whether every row or every ok row
must have it, and how the report labels its value. The store's checks, the
sweep's configuration key, the report's labels and README's list of fields are
all read from ``FIELDS``; a field a row carries that is not here fails a test.

Spans: *setup* (interpreter start to the first training step), *training* (the
steps), *evaluation* (scoring both sets), *run* (the whole child process), as
README's "What a run records" explains.
"""
from __future__ import annotations

from dataclasses import dataclass

INT, NUM, TEXT, LIST, OBJECT, BOOL, NULL = "integer", "number", "text", "list", "object", "boolean", "null"


@dataclass(frozen=True)
class Field:
    name: str
    kinds: tuple[str, ...]             # what the value may be; NULL when it may be empty
    group: str                         # README's heading for it
    doc: str = ""                      # one phrase for README
    unit: str = ""                     # s, MiB, cores, ...; "" for counts and text
    span: str = ""                     # setup, training, evaluation, run, or "" when no span applies
    identity: bool = False             # part of the configuration's key
    required: str = ""                 # "every" row, "ok" rows, or "" (may be absent)
    label: str = ""                    # the report's text for a value, "{}" standing for it
    items: tuple[str, ...] = (INT, NUM, NULL)   # what a list's items may be
    bulky: bool = False                # per-step or per-point lists: dropped first from a row too large to read
    positive: bool = False             # a time that must be above 0 in an ok row (0 or less: a broken row)


_CONFIG, _TIME, _WORK, _MEMORY, _CORES, _QUALITY, _CLOSURE, _PROVENANCE, _STATUS = (
    "config", "time, seconds", "work per forward + backward of one training batch", "memory, MiB",
    "cores and threads", "quality", "closure optimisers (LBFGS)", "provenance", "status")
_N = (NUM, NULL)
_I = (INT, NULL)

FIELDS: tuple[Field, ...] = (
    # --- the configuration ---
    Field("schema_version", (INT,), _STATUS, "the row format; harness/results/store.py has its history",
          required="every"),
    Field("run_id", (TEXT,), _STATUS, "12 hex digits, unique per run"),
    Field("task", (TEXT,), _CONFIG, identity=True, required="every", label="{}"),
    Field("backend", (TEXT,), _CONFIG, identity=True, required="every", label="{}"),
    Field("circuit", (TEXT, NULL), _CONFIG, "a built-in name, or a circuit file's absolute path", identity=True,
          label="circuit {}"),
    Field("circuit_digest", (TEXT, NULL), _CONFIG, "16 hex digits of the circuit's canonical description; "
          "empty for a built-in circuit with its own outputs", identity=True, label="#{}"),
    Field("circuit_format", (TEXT, NULL), _CONFIG, "built-in, qiskit, qasm3 or pennylane"),
    Field("observables", (TEXT, NULL), _CONFIG, "the outputs given with --observables: a readout's name (also for "
          "outputs that are one at every size), else their exact text as read", identity=True,
          label="outputs {}"),
    Field("input_names", (LIST, NULL), _CONFIG, "a circuit file's input parameters (--inputs)", identity=True,
          label="inputs {}", items=(TEXT,)),
    Field("weight_names", (LIST, NULL), _CONFIG, "its weight parameters (--weights)", identity=True,
          label="weights {}", items=(TEXT,)),
    Field("qubits", _I, _CONFIG, "sizable circuits only", identity=True, label="{} qubits"),
    Field("layers", _I, _CONFIG, "sizable circuits only", identity=True, label="{} layers"),
    Field("digits", (LIST, NULL), _CONFIG, "MNIST tasks only", identity=True, label="digits {}"),
    Field("seed", (INT,), _CONFIG, identity=True, required="every", label="seed {}"),
    Field("shots", _I, _CONFIG, "empty: exact", identity=True, label="{} shots"),
    Field("threads", _I, _CONFIG, "the thread budget", identity=True, label="{} threads"),
    Field("env", (OBJECT, NULL), _CONFIG, "variables set with --env", identity=True, label="env {}"),
    Field("thread_env", (OBJECT, NULL), _CONFIG, "the thread-related environment as the child saw it",
          identity=True, label="{}"),
    Field("epochs", _I, _CONFIG, identity=True, label="{} epochs"),
    Field("batch_size", _I, _CONFIG, identity=True, label="batch {}"),
    Field("lr", _N, _CONFIG, identity=True, label="lr {}"),
    Field("train_size", _I, _CONFIG, "samples, per class for MNIST", identity=True, label="train {}"),
    Field("test_size", _I, _CONFIG, "samples, per class for MNIST", identity=True, label="test {}"),
    Field("timeout_s", _N, _CONFIG, "not part of the identity: it changes no figure; for a run advise cut "
          "(error \"cut ...\"), where the cut came", unit="s"),
    # --- time ---
    Field("setup_s", _N, _TIME, "interpreter start to the first training step", "s", "setup"),
    Field("circuit_load_s", _N, _TIME, "building the circuit (importing a file), part of setup", "s", "setup"),
    Field("data_cache", (TEXT, NULL), _TIME, "the task's prepared data in setup: read (kept by an earlier run on "
          "this machine), made (here, and kept: setup holds the parsing), off (HARNESS_CACHE_DIR=off); empty "
          "when the task keeps none"),
    Field("train_s", (NUM,), _TIME, "the training steps", "s", "training", required="ok", positive=True),
    Field("first_step_s", (NUM,), _TIME, "", "s", "training", required="ok", positive=True),
    Field("steady_step_s", (NUM,), _TIME, "median step after the first", "s", "training", required="ok", positive=True),
    Field("steady_step_stats_s", (OBJECT, NULL), _TIME, "n, median, q1, q3, min, max of those steps", "s",
          "training"),
    Field("steps", _I, _TIME, "training steps taken", span="training"),
    Field("epoch_s", (LIST, NULL), _TIME, "per epoch", "s", "training", bulky=True),
    Field("quantum_forward_s", (NUM,), _TIME, "inside the quantum layer's forward calls", "s", "training",
          required="ok"),
    Field("quantum_backward_s", (NUM,), _TIME, "inside its backward calls, see gradient_computed_in", "s",
          "training", required="ok"),
    Field("eval_s", _N, _TIME, "scoring, without gradients", "s", "evaluation"),
    Field("child_wall_s", _N, _TIME, "the whole child, seen from inside", "s", "run"),
    Field("run_wall_s", _N, _TIME, "the whole run, seen from the parent; the child ends without the "
          "interpreter's teardown once its result is written", "s", "run"),
    # --- work ---
    Field("n_outputs", _I, _WORK, "the circuit's outputs (the readout's)"),
    Field("n_gates", _I, _WORK, "the circuit's gates"),
    Field("n_pauli_terms", _I, _WORK, "Pauli terms over all outputs (a Hamiltonian counts its terms)"),
    Field("value_executions_per_eval", _I, _WORK, "circuits simulated for the outputs"),
    Field("gradient_executions_per_eval", _I, _WORK, "extra circuits for the gradient: the shifted circuits"),
    Field("adjoint_passes_per_eval", _I, _WORK, "circuits the device differentiated by adjoint"),
    Field("simulator_calls_per_eval", _I, _WORK, "calls into the simulator"),
    Field("gradient_counted_in_forward", (BOOL, NULL), _WORK, "the counted gradient work ran in the forward call"),
    Field("gradient_computed_in", (TEXT, NULL), _WORK, "forward call or backward call"),
    Field("backend_settings", (OBJECT, NULL), _WORK, "settings that can change a figure: device_vjp, aer_path"),
    # --- memory ---
    Field("setup_peak_rss_mib", _N, _MEMORY, "VmHWM at the end of setup", "MiB", "setup"),
    Field("train_peak_rss_mib", _N, _MEMORY, "VmHWM over training alone, reset as it starts", "MiB", "training"),
    Field("run_peak_rss_mib", (NUM,), _MEMORY, "VmHWM of the whole child", "MiB", "run", required="ok"),
    # --- cores ---
    Field("train_cpu_s", _N, _CORES, "CPU seconds", "s", "training"),
    Field("train_effective_cores", _N, _CORES, "training CPU seconds / training wall seconds", "cores",
          "training"),
    Field("run_cpu_s", _N, _CORES, "CPU seconds", "s", "run"),
    Field("train_peak_threads", _I, _CORES, "sampled every 50 ms", span="training"),
    Field("train_peak_children", _I, _CORES, "sampled every 50 ms", span="training"),
    Field("run_peak_threads", (INT,), _CORES, span="run", required="ok"),
    Field("run_peak_children", (INT,), _CORES, span="run", required="ok"),
    Field("torch_threads", _I, _CORES, "torch.get_num_threads() in the child"),
    Field("train_other_busy_cores", _N, _CORES, "CPU the rest of the machine used (/proc/stat busy minus the "
          "child's own, threads and children) per wall second", "cores", "training"),
    Field("train_steal_cores", _N, _CORES, "CPU time the hypervisor gave to others (/proc/stat steal) per wall "
          "second", "cores", "training"),
    Field("busy", (BOOL, NULL), _CORES, "the machine was busy: those two figures over the thresholds of "
          "harness/measuring/load.py; empty (unknown, read as not busy) when training was too short for /proc/stat's "
          "ticks to tell, and on rows stored before it was measured",
          span="training"),
    # --- quality ---
    Field("train_accuracy", _N, _QUALITY, "empty on scaling and on regression tasks", span="evaluation"),
    Field("test_accuracy", _N, _QUALITY, "empty on regression tasks", span="evaluation"),
    Field("final_loss", _N, _QUALITY, "mean over the last epoch", span="training"),
    Field("loss_per_epoch", (LIST, NULL), _QUALITY, span="training", bulky=True),
    Field("train_mse", _N, _QUALITY, "regression tasks", span="evaluation"),
    Field("test_mse", _N, _QUALITY, "regression tasks", span="evaluation"),
    Field("fit_curve", (OBJECT, NULL), _QUALITY, "regression: 50 points across [-pi, pi]", span="evaluation", bulky=True),
    Field("test_points", (OBJECT, NULL), _QUALITY, "tutorial tasks: inputs, targets, predictions of the first 200 test points",
          span="evaluation", bulky=True),
    Field("n_train", _I, _QUALITY, "training samples used"),
    Field("n_test", _I, _QUALITY, "test samples used"),
    # --- closure optimisers ---
    Field("function_evals", _I, _CLOSURE, "forward + backward evaluations in all, one per step for other optimisers",
          span="training"),
    Field("function_evals_per_step", (LIST, NULL), _CLOSURE, span="training", bulky=True),
    Field("first_function_eval_s", _N, _CLOSURE, "", "s", "training"),
    Field("steady_function_eval_s", _N, _CLOSURE, "median evaluation after the first", "s", "training"),
    Field("function_eval_losses", (LIST, NULL), _CLOSURE, span="training", bulky=True),
    # --- provenance ---
    Field("versions", (OBJECT, NULL), _PROVENANCE, "python and the frameworks"),
    Field("machine", (OBJECT, NULL), _PROVENANCE, "CPU model, core count, CPUs allowed, host, platform (the kernel, on a cloud VM its build too)"),
    Field("git_commit", (TEXT, NULL), _PROVENANCE, "+dirty with uncommitted changes"),
    Field("code_version", (TEXT, NULL), _PROVENANCE,
          "digest of the measuring code: rows with the same one were measured by the same code"),
    Field("timestamp", (TEXT, NULL), _PROVENANCE, "UTC, when the row was made"),
    Field("executor", (TEXT, NULL), _PROVENANCE, "local or ray"),
    Field("ray_node_id", (TEXT, NULL), _PROVENANCE, "ray: the node that ran it"),
    Field("executor_overhead_s", _N, _PROVENANCE, "ray: its own cost for this run", "s"),
    # --- status ---
    Field("status", (TEXT,), _STATUS, "ok, failed, timeout or killed as stored; the report reads an ok row whose "
          "loss went non-finite (nonfinite) as diverged", required="every"),
    Field("returncode", _I, _STATUS, "the child's exit status"),
    Field("error", (TEXT, NULL), _STATUS, "first line the cause, then the tail of the child's output; a child that "
          "crashed itself (an abort, a segfault) is failed with its own last words"),
    Field("timeout_foreseen", (OBJECT, NULL), _STATUS, "a timeout the run foresaw and stopped itself for (error "
          "\"stopped at ...\"): at_s, steps_done of steps, fastest_step_s (steady), least_left_s (the steps left "
          "at twice that pace), timeout_s, setup_s"),
    Field("nonfinite", (LIST, NULL), _STATUS, "fields whose NaN or Infinity was stored as null", items=(TEXT,)),
    Field("upgraded_from_schema", _I, _STATUS, "set on reading an older row"),
    Field("trimmed", (LIST, NULL), _STATUS, "bulky lists left out so the row stays readable", items=(TEXT,)),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
assert len(BY_NAME) == len(FIELDS), "a field is declared twice"

IDENTITY: tuple[str, ...] = tuple(f.name for f in FIELDS if f.identity)
EVERY_ROW: dict[str, tuple[str, ...]] = {f.name: f.kinds for f in FIELDS if f.required == "every"}
OK_ROW: dict[str, tuple[str, ...]] = {f.name: f.kinds for f in FIELDS if f.required == "ok"}
TYPED: dict[str, tuple[str, ...]] = {f.name: f.kinds for f in FIELDS}
ITEMS: dict[str, tuple[str, ...]] = {f.name: f.items for f in FIELDS if LIST in f.kinds}
BULKY: tuple[str, ...] = tuple(f.name for f in FIELDS if f.bulky)
POSITIVE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.positive)


def unknown(row: dict) -> list[str]:
    """The fields of ``row`` that are not declared here."""
    return [name for name in row if name not in BY_NAME]


def label(name: str, value: str) -> str:
    """The report's text for one identity field's value ("4 qubits", "1 layer", "exact")."""
    if name == "shots" and value == "":
        return "exact"
    if value == "":
        return ""
    if name == "circuit" and "/" in value:          # a file: its stem (the digest tells versions apart)
        value = value.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if name == "circuit_digest":
        value = value[:8]
    text = (BY_NAME[name].label or name + " {}").format(value)
    return text[:-1] if value == "1" and text.endswith("s") else text      # "1 layer", "1 thread"


GROUPS = (_CONFIG, _TIME, _WORK, _MEMORY, _CORES, _QUALITY, _CLOSURE, _PROVENANCE, _STATUS)


def markdown() -> str:
    """README's list of fields, one line per group (``make readme`` writes it between its markers)."""
    lines = []
    for group in GROUPS:
        items = []
        for f in (f for f in FIELDS if f.group == group):
            where = ", ".join(p for p in (f"{f.span} span" if f.span else "", f.unit) if p)
            items.append(f"`{f.name}`" + (f" ({f.doc})" if f.doc else "") + (f" [{where}]" if where else ""))
        lines.append(f"- **{group}**: " + "; ".join(items))
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- fields: start (make readme writes this list) -->", "<!-- fields: end -->"


def readme_block(text: str) -> str:
    """The field list between README's markers (a ValueError when they are missing)."""
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    return text[start:end].strip("\n") + "\n"


def write_readme(path) -> None:
    from pathlib import Path
    text = Path(path).read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    Path(path).write_text(text[:start] + "\n" + markdown() + text[end:])
