"""What the terminal says: where the rows went and what to type next, spans named, progress within slow
epochs, an ETA from measured runs only, counts that agree, and the closest valid name for a typo."""
import io
import re
import sys
import time

import pytest

from backends import UserError
from harness.cli import main
from harness.cli.common import where_rows
from harness.executing import runner
from harness.executing.eta import Estimate
from harness.executing.sweep import Progress, SweepConfig
from harness.inputs.config import RunConfig
from harness.inputs.validate import check_run
from harness.measuring import train as training
from harness.results.words import did_you_mean, plural

TINY = ["--task", "moons", "--epochs", "1", "--train-size", "20", "--test-size", "5", "--threads", "1"]


def test_counts_agree_with_their_nouns():
    assert [plural(1, "step"), plural(2, "step"), plural(0, "step")] == ["1 step", "2 steps", "0 steps"]
    assert [plural(1, "child process"), plural(3, "child process")] == ["1 child process", "3 child processes"]
    assert plural(1, "CPU") == "1 CPU" and plural(4, "CPU") == "4 CPUs"


# --- names and options: the closest valid one -------------------------------

def test_did_you_mean_names_the_closest_or_nothing():
    assert did_you_mean("lightnig-adjoint", ["torch", "lightning-adjoint", "lightning-shift"]) == \
        " (did you mean lightning-adjoint?)"
    assert did_you_mean("qwerty", ["torch", "classical"]) == ""


@pytest.mark.parametrize("argv,expected", [
    (["run", "--backnd", "torch"],
     "error: unrecognized arguments: --backnd (did you mean --backend?) torch (see 'python -m harness run --help')\n"),
    (["sweep", "--seeds=0", "--qubitz=2"],
     "error: unrecognized arguments: --qubitz=2 (did you mean --qubits?) (see 'python -m harness sweep --help')\n"),
    (["swep"],
     "error: argument command: invalid choice 'swep' (did you mean sweep?); valid: list, check, run, sweep, "
     "advise, report, compare (see 'python -m harness --help')\n"),
    (["sweep", "--executor", "lcoal"],
     "error: argument --executor: invalid choice 'lcoal' (did you mean local?); valid: local, ray "
     "(see 'python -m harness sweep --help')\n"),
])
def test_a_mistyped_option_or_command_gets_the_closest_one_in_one_line_exit_2(capsys, argv, expected):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize("change,expected", [
    (dict(backend="lightning-adjiont"), "unknown backend 'lightning-adjiont' (did you mean lightning-adjoint?); "
                                        "valid: qiskit-shift, "),
    (dict(task="mons"), "unknown task 'mons' (did you mean moons?); valid: "),
    (dict(task="scaling", circuit="entangeler"), "unknown circuit 'entangeler' (did you mean entangler?); valid: "),
    (dict(task="scaling", observables="z-al"), "--observables: unknown readout 'z-al' (did you mean z-all?); "
                                               "valid: z-all, z0, zz-ring, ising, xyz-all, or outputs such as"),
])
def test_a_mistyped_name_gets_the_closest_valid_one(change, expected):
    with pytest.raises(UserError) as err:
        check_run(RunConfig(**{"backend": "torch", **change}))
    assert str(err.value).startswith(expected)


def test_outputs_that_only_look_like_names_are_still_outputs():
    # lowercase Pauli words read as outputs, not as a mistyped readout
    # (stored in their exact text, as every explicit output is: the same outputs written two ways are one)
    assert check_run(RunConfig(task="scaling", qubits=2, observables="x0, z1")).config.observables == "X0, Z1"


def test_the_command_line_says_a_mistyped_backend_in_one_line(capsys, tmp_path):
    assert main(["run", "--backend", "lightnig-adjoint", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown backend 'lightnig-adjoint' (did you mean lightning-adjoint?); valid: ")
    assert err.count("\n") == 1


def test_sweep_names_get_the_closest_one_too(capsys, tmp_path):
    assert main(["sweep", "--backends", "torch,clasical", "--results", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: unknown backend 'clasical' (did you mean classical?)")


# --- where the rows went ----------------------------------------------------

def test_where_rows_names_the_store_and_the_report_command_as_invoked(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/x/harness/__main__.py"])
    assert where_rows("/tmp/my results") == ("rows stored in /tmp/my results/runs.jsonl; read them with: "
                                             "python -m harness report --results '/tmp/my results'")
    monkeypatch.setattr(sys, "argv", ["/venv/bin/harness"])
    assert where_rows("res", "row") == "row stored in res/runs.jsonl; read them with: harness report --results res"


def test_a_real_run_ends_with_its_store_and_the_report_command(capsys, tmp_path):
    assert main(["run", "--backend", "torch", *TINY, "--results", str(tmp_path)]) == 0
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == (f"row stored in {tmp_path}/runs.jsonl; read them with: "
                    f"python -m harness report --results {tmp_path}")


# --- the sweep's lines and its ETA -------------------------------------------

def test_the_estimate_uses_durations_of_the_same_configuration_only():
    est = Estimate()
    assert est.left(["a", "b"]) == "ETA after the first run"
    est.add("a", 10.0)
    assert est.left(["b", "b"]) == "no ETA yet (2 not timed yet)"        # a's time says nothing of b's
    est.add("a", 30.0)
    est.add("a", 14.0)
    assert est.left(["a", "a"]) == "ETA 0m28s"                          # twice the median, 14 s
    assert est.left(["a", "b"]) == "at least 0m14s left (1 not timed yet)"
    est.add("b", 3600.0)
    assert est.left(["a", "b"]) == "ETA 1h00m"
    assert Estimate(lanes=2).left([]) == ""
    two = Estimate(lanes=2)
    two.add("a", 60.0)
    assert two.left(["a", "a", "a", "a"]) == "ETA 2m00s"               # four minutes of runs, two at a time


def test_sweep_lines_name_the_training_span_and_estimate_from_measured_runs(tmp_path):
    out = io.StringIO()
    configs = [RunConfig(task="moons", backend=b, seed=s, threads=1) for s in (0, 1) for b in ("torch", "classical")]
    progress = Progress(SweepConfig(backends=("torch", "classical"), seeds=(0, 1)), tmp_path, out, 4, configs)
    row = {"status": "ok", "train_s": 42.04, "test_accuracy": 0.875}
    for cfg, seconds in zip(configs, (50.0, 20.0, 48.0, 22.0)):
        progress.starting(cfg)
        progress.finished(cfg, dict(row, backend=cfg.backend), seconds)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[------------------------] 1/4 ETA after the first run  moons torch seed 0 ..."
    assert lines[1] == "[######------------------] 1/4  moons torch seed 0: ok (training 42.0 s, test acc 88%)"
    # classical has not run yet: no guess from torch's time; the torch of round two is known
    assert lines[2] == "[######------------------] 2/4 at least 0m50s left (2 not timed yet)  moons classical seed 0 ..."
    assert lines[4] == "[############------------] 3/4 ETA 1m10s  moons torch seed 1 ..."
    assert lines[6] == "[##################------] 4/4 ETA 0m20s  moons classical seed 1 ..."


# --- progress within an epoch of slow steps ----------------------------------

def test_slow_steps_say_where_the_epoch_is_and_the_epoch_line_follows(monkeypatch):
    monkeypatch.setattr(training, "SLOW_STEP_S", 0.0)     # every step counts as slow here
    monkeypatch.setattr(training, "PROGRESS_EVERY_S", 0.0)
    said = []
    cfg = RunConfig(task="moons", backend="torch", epochs=2, train_size=20, test_size=5, threads=1).resolve()
    training.train(cfg, time.perf_counter(), progress=said.append)
    shape = [re.sub(r"last step [\d.]+s  elapsed [\d.]+s|loss [\d.]+  elapsed [\d.]+s", "_", s) for s in said]
    # 20 samples in batches of 5: four steps an epoch, the last one said by the epoch's own line
    assert shape == ["epoch 1/2  step 1/4  _", "epoch 1/2  step 2/4  _", "epoch 1/2  step 3/4  _", "epoch 1/2  _",
                     "epoch 2/2  step 1/4  _", "epoch 2/2  step 2/4  _", "epoch 2/2  step 3/4  _", "epoch 2/2  _"]


def test_fast_steps_say_nothing_within_the_epoch():
    said = []
    cfg = RunConfig(task="moons", backend="torch", epochs=1, train_size=20, test_size=5, threads=1).resolve()
    training.train(cfg, time.perf_counter(), progress=said.append)
    assert len(said) == 1 and said[0].startswith("epoch 1/1  loss ")


class _Echo(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


CHILD = ("epoch 1/2  step 1/4  last step 1.50s  elapsed 1.5s\n"
         "epoch 1/2  step 3/4  last step 1.50s  elapsed 4.5s\n"
         "epoch 1/2  loss 0.5000  elapsed 6.0s\n"
         "epoch 2/2  step 2/4  last step 1.50s  elapsed 9.0s\n"
         "Traceback (most recent call last):\n")


def test_step_lines_update_in_place_on_a_terminal_and_stay_out_of_the_tail():
    echo, tail = _Echo(tty=True), []
    runner._pump(io.StringIO(CHILD), tail, echo)
    assert echo.getvalue() == ("epoch 1/2  step 1/4  last step 1.50s  elapsed 1.5s"
                               "\r\033[Kepoch 1/2  step 3/4  last step 1.50s  elapsed 4.5s"
                               "\r\033[Kepoch 1/2  loss 0.5000  elapsed 6.0s\n"
                               "epoch 2/2  step 2/4  last step 1.50s  elapsed 9.0s"
                               "\r\033[KTraceback (most recent call last):\n")
    assert tail == ["epoch 1/2  loss 0.5000  elapsed 6.0s", "Traceback (most recent call last):"]


def test_step_lines_to_a_file_are_thinned_out():
    echo = _Echo(tty=False)
    runner._pump(io.StringIO(CHILD), [], echo)
    # within 30 s only the first step line goes to a log; every other line as it came
    assert echo.getvalue() == ("epoch 1/2  step 1/4  last step 1.50s  elapsed 1.5s\n"
                               "epoch 1/2  loss 0.5000  elapsed 6.0s\n"
                               "Traceback (most recent call last):\n")


def test_a_circuit_with_one_output_says_one_output(capsys, monkeypatch):
    from harness.cli import list as listing
    # the frameworks' import probe (a subprocess of seconds, tested in test_check) is not what this reads
    monkeypatch.setattr(listing, "backend_status", lambda: {name: "yes" for name in listing.BACKENDS})
    assert main(["list", "--circuit", "moons", "--observables", "z0"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(": 2 qubits, 2 inputs, 2 weights, 1 output, 7 gates"), first



def test_a_ray_sweeps_estimate_counts_the_runs_at_once():
    from types import SimpleNamespace
    from harness.executing.ray_executor import RayCluster
    # two nodes of 4 and 2 CPUs, two runs per node at most: 2-thread runs fit 2 + 1 at once
    cluster = SimpleNamespace(per_node=2, nodes={"a": {"Resources": {"CPU": 4.0}}, "b": {"Resources": {"CPU": 2.0}}})
    cluster._capacity = lambda node, threads: RayCluster._capacity(cluster, node, threads)
    assert RayCluster.lanes(cluster, [RunConfig(threads=2)]) == 3
    assert RayCluster.lanes(cluster, [RunConfig(threads=1)]) == 4


def test_a_sweep_on_a_terminal_shows_only_the_step_line_in_place_and_clears_it():
    out = _Echo(tty=True)
    runner._pump(io.StringIO(CHILD), [], runner.steps_only(out))
    assert out.getvalue() == ("\r\033[Kepoch 1/2  step 1/4  last step 1.50s  elapsed 1.5s"
                              "\r\033[Kepoch 1/2  step 3/4  last step 1.50s  elapsed 4.5s"
                              "\r\033[K"
                              "\r\033[Kepoch 2/2  step 2/4  last step 1.50s  elapsed 9.0s"
                              "\r\033[K")
    assert runner.steps_only(_Echo(tty=False)) is None          # to a log: the sweep's own lines only


def test_a_stopped_sweep_says_where_its_rows_are(tmp_path):
    out = io.StringIO()
    progress = Progress(SweepConfig(), tmp_path, out, 3)
    progress.stopped(KeyboardInterrupt())
    assert out.getvalue() == (f"sweep stopped after 0 of 3 (interrupted): nothing done; every finished run is stored "
                              f"(in {tmp_path}/runs.jsonl), and running the sweep again resumes it\n")


def test_the_run_summary_says_one_thread_one_step_one_child_process():
    row = {"task": "moons", "backend": "torch", "seed": 0, "threads": 1, "thread_env": {}, "status": "ok",
           "train_s": 2.0, "steps": 1, "first_step_s": 2.0, "steady_step_s": 2.0, "steady_step_stats_s": {},
           "quantum_forward_s": 0.5, "quantum_backward_s": 0.5, "setup_s": 1.0, "eval_s": 0.1, "child_wall_s": 3.2,
           "train_peak_rss_mib": 400.0, "train_effective_cores": 1.0, "train_peak_threads": 1,
           "train_peak_children": 1, "run_peak_rss_mib": 410.0, "run_peak_threads": 2, "test_accuracy": 0.5,
           "final_loss": 0.7}
    lines = runner.summary(row).splitlines()
    assert lines[0] == "moons on torch (seed 0, 1 thread, OMP_WAIT_POLICY unset): ok"
    assert lines[1] == "  training 2.00 s wall (1 step; first 2000.0 ms, steady median 2000.0 ms)"
    assert lines[4] == "  training: peak memory 400 MiB, 1.00 cores busy, peak 1 thread, 1 child process"
    assert lines[5] == "  whole run: peak memory 410 MiB, peak 2 threads"


def test_the_run_summary_names_a_circuit_file_its_size_and_readout():
    row = {"task": "scaling", "backend": "torch", "seed": 0, "threads": 1, "thread_env": {}, "status": "ok",
           "train_s": 2.0, "steps": 1, "first_step_s": 2.0, "steady_step_s": 2.0, "steady_step_stats_s": {},
           "quantum_forward_s": 0.5, "quantum_backward_s": 0.5, "setup_s": 1.0, "eval_s": 0.1}
    built_in = dict(row, circuit="entangler", circuit_format="built-in", qubits=8, layers=1, observables="z0",
                    n_outputs=1)
    assert runner.summary(built_in).splitlines()[1] == "  circuit entangler, 8 qubits, 1 layer, outputs z0 (1 output)"
    own = dict(row, task="moons", circuit="examples/moons.qasm", circuit_format="qasm3", circuit_digest="0123456789ab",
               n_outputs=2)
    assert runner.summary(own).splitlines()[1] == "  circuit examples/moons.qasm (01234567) (2 outputs)"
    plain = dict(row, task="moons", circuit="moons", circuit_format="built-in", n_outputs=2)
    assert runner.summary(plain).splitlines()[1].startswith("  training 2.00 s wall")
