"""Was the machine quiet? /proc/stat read by hand, the child's own CPU accounted, real burners beside real runs.

This machine is shared: other sessions run tests beside these, so no test here
may assume that the machine is quiet. Each end-to-end test brackets the run
with its own independent bookkeeping in the test process (two /proc/stat
snapshots around the whole run, minus the child's CPU from RUSAGE_CHILDREN
and this process's own): CPU seconds only grow, so what the rest of the
machine used over the child's training span can never exceed what it used
over the whole run, whatever else runs meanwhile.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time

import pytest

from harness.executing import busy
from harness.executing.runner import run_config, summary
from harness.inputs.config import RunConfig
from harness.measuring import load

SAMPLE = """cpu  1000 50 300 9000 40 7 13 25 11 0
cpu0 500 25 150 4500 20 3 7 12 5 0
cpu1 500 25 150 4500 20 4 6 13 6 0
intr 12345 0 0
ctxt 99
btime 1700000000
processes 4242
procs_running 3
"""


def test_proc_stat_is_read_by_its_columns():
    # busy = user + nice + system + irq + softirq = 1000 + 50 + 300 + 7 + 13 = 1370 ticks; idle, iowait and
    # steal are not busy; guest (11) is already inside user and is not added again
    t = load.parse_stat(SAMPLE, ticks_per_s=100)
    assert (t.busy_s, t.steal_s, t.cpus) == (13.70, 0.25, 2)
    short = load.parse_stat("cpu  10 0 10 500\ncpu0 10 0 10 500\n", ticks_per_s=100)    # an old kernel: 4 columns
    assert (short.busy_s, short.steal_s, short.cpus) == (0.2, 0.0, 1)
    with pytest.raises(ValueError):
        load.parse_stat("intr 1\n")


def test_two_marks_give_the_others_cores_the_steal_and_the_rule():
    m = lambda wall, own, busy_s, steal_s: load.Mark(wall, own, load.MachineTimes(busy_s, steal_s, 2))  # noqa: E731
    # 4 s of training: the machine was busy 6 CPU-s, 3.2 of them ours; 0.4 s stolen
    f = load.figures(m(10.0, 1.0, 100.0, 5.0), m(14.0, 4.2, 106.0, 5.4), threads=2)
    assert f["train_other_busy_cores"] == pytest.approx(0.7) and f["train_steal_cores"] == pytest.approx(0.1)
    assert f["busy"] is True
    # our own time a hair above the machine's ticks (getrusage is finer than /proc/stat): 0, not negative
    quiet = load.figures(m(0.0, 0.0, 50.0, 1.0), m(2.0, 2.02, 52.0, 1.0), threads=2)
    assert quiet == {"train_other_busy_cores": 0.0, "train_steal_cores": 0.0, "busy": False}
    assert load.figures(load.Mark(0.0, 0.0, None), m(1.0, 1.0, 1.0, 0.0), threads=1)["busy"] is None
    # 5 ms of training: two ticks per CPU are 8 cores of doubt, whatever the ticks said; the figure is
    # clamped to the machine's 2 CPUs
    short = load.figures(m(0.0, 0.0, 50.0, 1.0), m(0.005, 0.0, 50.02, 1.0), threads=2)
    assert short == {"train_other_busy_cores": 2.0, "train_steal_cores": 0.0, "busy": None}
    assert load.judge(0.3, 0.0, 2, 2, error=0.1) is None and load.judge(0.5, 0.0, 2, 2, error=0.1) is True
    assert load.judge(0.1, 0.0, 2, 2, error=0.1) is False
    # the others use the CPUs the run does not: one thread on two CPUs leaves one free
    assert not load.is_busy(1.0, 0.0, threads=1, cpus=2) and load.is_busy(1.3, 0.0, threads=1, cpus=2)
    assert load.is_busy(load.OTHER_BUSY_CORES + 0.01, 0.0, threads=2, cpus=2)
    assert not load.is_busy(load.OTHER_BUSY_CORES - 0.01, 0.0, threads=2, cpus=2)
    assert load.is_busy(0.0, load.STEAL_CORES + 0.01, threads=2, cpus=2)


def _burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


BURN_THEN_WAIT = ("import sys, time\nend = time.process_time() + float(sys.argv[1])\n"
                  "while time.process_time() < end: pass\nprint('burnt', flush=True)\ntime.sleep(60)\n")


def test_own_cpu_counts_threads_a_reaped_child_and_a_live_one():
    """The hand computation: two marks around a known workload of our own (a thread, a child that ended and
    was reaped, a child still alive at the second mark), each workload's CPU time read independently.

    Other load cannot break this: every figure compared is this process's own or its children's."""
    live = subprocess.Popen([sys.executable, "-c", BURN_THEN_WAIT, "0.3"], stdout=subprocess.PIPE, text=True)
    try:
        reaped0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        start = load.mark()
        worker = threading.Thread(target=_burn, args=(0.3,))
        worker.start()
        subprocess.run([sys.executable, "-c", BURN_THEN_WAIT.replace("time.sleep(60)", ""), "0.3"], check=True,
                       capture_output=True)
        worker.join()
        assert live.stdout.readline().strip() == "burnt"          # done burning; now sleeping, alive
        end = load.mark()
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        reaped1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        live.kill()
        live.wait()
    live_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = lambda r: r.ru_utime + r.ru_stime                      # noqa: E731
    own_threads = cpu(self1) - cpu(self0)
    reaped = cpu(reaped1) - cpu(reaped0)
    live_total = cpu(live_cpu) - cpu(reaped1)     # all its life; it burnt (part of that) before our first mark
    assert own_threads >= 0.3 and reaped >= 0.3
    counted = end.own_s - start.own_s
    # ours and the reaped child's exactly (to the 10 ms ticks /proc gives the live child in), plus what the
    # live child burnt between the marks: at most its whole life, and its burning was mostly after `start`
    assert own_threads + reaped - 0.03 <= counted <= own_threads + reaped + live_total + 0.03
    assert counted >= own_threads + reaped + 0.1          # the live child's burning after start is counted
    # the machine saw all of that work (others only add to it), and `figures` is busy minus ours, per second
    wall = end.wall - start.wall
    machine_busy = end.machine.busy_s - start.machine.busy_s
    assert machine_busy >= counted - 0.05
    # the others' share, bracketed by rusage alone (not by the marks' own count): the machine's busy time
    # less everything of ours, between at most and at least the live child's whole life
    f = load.figures(start, end, threads=2)
    ours_low, ours_high = own_threads + reaped - 0.03, own_threads + reaped + live_total + 0.03
    assert max(0.0, (machine_busy - ours_high) / wall) - 1e-9 <= f["train_other_busy_cores"] \
        <= max(0.0, (machine_busy - ours_low) / wall) + 1e-9


# the bracket and the child's figure are each uncertain by two ticks per CPU (load.TICK_SLACK; 0.04 CPU-s
# on 2 CPUs), and a little for the marks not being the train_s clock
TOLERANCE_S = 2 * load.TICK_SLACK * load.machine_times().cpus / load.TICKS_PER_S + 0.05


def _bracketed_run(tmp_path, **kw):
    """A real moons run with a few seconds of training, and the test's own bound on the others' CPU seconds
    over the whole run: machine busy minus the child's CPU (reaped, so RUSAGE_CHILDREN has it) minus ours."""
    cfg = RunConfig(task="moons", backend="torch", epochs=20, threads=load.machine_times().cpus, timeout_s=120,
                    **kw)
    m0, c0, s0 = load.machine_times(), resource.getrusage(resource.RUSAGE_CHILDREN), \
        resource.getrusage(resource.RUSAGE_SELF)
    row = run_config(cfg, results_dir=tmp_path, echo=None)
    m1, c1, s1 = load.machine_times(), resource.getrusage(resource.RUSAGE_CHILDREN), \
        resource.getrusage(resource.RUSAGE_SELF)
    cpu = lambda a, b: (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)     # noqa: E731
    others_over_run = (m1.busy_s - m0.busy_s) - cpu(c0, c1) - cpu(s0, s1)
    assert row["status"] == "ok", row["error"]
    return row, others_over_run


def test_a_cpu_burner_beside_a_run_marks_it_busy(tmp_path):
    """One process spinning beside a run on every CPU: the run is busy, the others at least 0.6 cores.

    The run trains moons on torch with threads = every CPU (2 here); its step is one Python thread that is
    always runnable, as is the burner, so both CPUs are busy and the burner gets a full share of one: the
    others' figure is the burner's share plus whatever else runs, and only grows with more load. 0.6 leaves
    room for the child's own threads taking a part of the burner's CPU (it gets 2/3 of a core even against
    two busy child threads) and is still more than twice the threshold."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        row, others_over_run = _bracketed_run(tmp_path)
    finally:
        burner.kill()
        burner.wait()
    assert row["train_s"] > 0.5                  # long enough for 10 ms ticks to be a small error
    assert row["busy"] is True
    assert row["train_other_busy_cores"] + row["train_steal_cores"] >= 0.6
    assert row["train_other_busy_cores"] * row["train_s"] <= others_over_run + TOLERANCE_S
    assert "BUSY machine over training" in summary(row)
    assert busy.warning(row) and "cores used by others" in busy.warning(row)


def test_a_run_without_a_burner_is_not_flagged_unless_the_machine_really_was_busy(tmp_path):
    """Without a burner: the child must not count its own threads as the others' load.

    Other sessions may be running here, so "not busy" is asserted only when the test's own bracket proves
    the machine quiet: the others' CPU seconds over the whole run, spread over the training span alone,
    below the threshold (the span's share of them can only be smaller). Whatever the load, the child's
    figure must stay under that bracket: a child that counted its own threads or children as the others'
    would break it on a quiet machine, and a broken subtraction breaks it on any."""
    row, others_over_run = _bracketed_run(tmp_path)
    assert row["train_s"] > 0.5
    assert 0 <= row["train_other_busy_cores"] * row["train_s"] <= others_over_run + TOLERANCE_S
    assert row["train_steal_cores"] >= 0
    # the row's verdict is False only when its figure plus its tick error is under the threshold; the bracket
    # and the figure each carry one tick error of their own
    slack_s = load.TICK_SLACK * load.machine_times().cpus / load.TICKS_PER_S
    proved_quiet = (others_over_run + 3 * slack_s) / row["train_s"] < load.OTHER_BUSY_CORES
    if proved_quiet:
        assert row["busy"] is False and "machine quiet over training" in summary(row)
    else:           # the machine was busy, as the bracket shows: a quiet verdict must agree with the figures
        assert row["busy"] is not False or row["train_other_busy_cores"] <= load.OTHER_BUSY_CORES + 0.1
