"""The measured child process: ``python -m harness.measuring.child RESULT_PATH < config.json``.

The parent sets the thread environment variables before this interpreter
starts, so every library's thread pool is sized before it is imported. Only
the standard library is imported before the clock starts; the measured
figures are written as JSON to RESULT_PATH (stdout stays free for libraries'
chatter), progress goes to stderr.
"""
import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402


def main(argv) -> int:
    from harness.executing.signals import die_with_parent
    die_with_parent()                  # run in its own session, it would outlive a parent killed outright
    result_path = argv[1]
    cfg_dict = json.load(sys.stdin)
    from harness.measuring import probe
    from harness.results import provenance
    seen_env = provenance.thread_env()          # what this process was started with
    from harness.inputs.config import RunConfig
    from harness.measuring.train import train

    cfg = RunConfig.from_dict(cfg_dict)
    with probe.Sampler(span="setup") as sampler:
        figures = train(cfg, STARTED, sampler=sampler)
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
    with open(result_path + ".tmp", "w") as fh:
        json.dump(figures, fh)
    import os
    os.replace(result_path + ".tmp", result_path)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as err:
        from backends.errors import UserError
        if isinstance(err, UserError):
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        raise
