"""The measured child process: ``python -m harness.measuring.child RESULT_PATH < config.json``.

The parent sets the thread environment variables before this interpreter
starts, so every library's thread pool is sized before it is imported. Only
the standard library is imported before the clock starts; the measured
figures are written as JSON to RESULT_PATH (stdout stays free for libraries'
chatter), progress goes to stderr.

The child runs in its own session, so nothing reaches it when its parent is
killed outright (SIGKILL). ``die_with_parent()`` asks Linux to send the child
SIGTERM when the parent goes (``PR_SET_PDEATHSIG``): no extra thread in the
measured process. Linux ties this to the parent *thread* that started the
child, so a caller that spawns runs from a short-lived thread must keep that
thread alive for the run.
"""
import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

PARENT_PID_ENV = "HARNESS_PARENT_PID"      # set by the parent: who this child must not outlive
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child: end (SIGTERM) when the parent that started it dies, however it dies."""
    import ctypes
    import os
    import signal

    expected = os.environ.get(PARENT_PID_ENV)
    try:
        libc = ctypes.CDLL(None, use_errno=True)       # the process's own symbols, libc's among them
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return                               # not Linux: the parent's own cleanup has to do
    # the parent may have died before prctl took effect; then we were re-parented already
    if expected and os.getppid() != int(expected):
        os._exit(128 + signal.SIGTERM)


def main(argv) -> int:
    die_with_parent()                  # run in its own session, it would outlive a parent killed outright
    result_path = argv[1]
    cfg_dict = json.load(sys.stdin)
    from harness.measuring import probe
    from harness.results import provenance
    seen_env = provenance.thread_env()          # what this process was started with
    from harness.inputs.config import RunConfig
    from harness.measuring.deadline import FIELD, Foreseen
    from harness.measuring.train import train

    cfg = RunConfig.from_dict(cfg_dict)
    try:
        with probe.Sampler(span="setup") as sampler:
            figures = train(cfg, STARTED, sampler=sampler)
    except Foreseen as stop:           # it cannot end within its timeout: say so now, not at the timeout
        _write(result_path, {FIELD: stop.figures, "setup_s": stop.figures["setup_s"]})
        _exit()
    final_hwm = probe.peak_rss_mib()
    figures.update(
        thread_env=seen_env,
        run_cpu_s=probe.cpu_seconds(),
        child_wall_s=time.perf_counter() - STARTED,
        # VmHWM was reset when training started: the run's peak is the larger of before and since
        run_peak_rss_mib=max(v for v in (figures.get("setup_peak_rss_mib"), final_hwm) if v is not None),
        run_peak_threads=sampler.peak_threads,
        run_peak_children=sampler.peak_children,
    )
    _write(result_path, figures)
    _exit()


def _write(result_path: str, figures: dict) -> None:
    import os
    with open(result_path + ".tmp", "w") as fh:
        json.dump(figures, fh)
    os.replace(result_path + ".tmp", result_path)


def _exit():
    import os
    # The run is whole once its result is written: end now, without the interpreter's teardown (every
    # module's objects freed one by one, the frameworks' exit hooks). That took 2.0-2.3 s a run for
    # default-backprop on moons here (0.1 s without it; 4 alternating runs each) and measures nothing.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):      # a reader gone or a stream closed: nothing is left to say
            pass
    os._exit(0)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as err:
        from backends.errors import UserError
        if isinstance(err, UserError):
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        raise
