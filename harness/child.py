"""The measured child process: ``python -m harness.child RESULT_PATH < config.json``.

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
    from .signals import die_with_parent
    die_with_parent()                  # run in its own session, it would outlive a parent killed outright
    result_path = argv[1]
    cfg_dict = json.load(sys.stdin)
    from . import probe
    from .config import RunConfig
    from .train import train

    cfg = RunConfig.from_dict(cfg_dict)
    with probe.Sampler() as sampler:
        figures = train(cfg, STARTED)
    figures.update(
        cpu_s=probe.cpu_seconds(),
        wall_s=time.perf_counter() - STARTED,
        peak_rss_mb=probe.peak_rss_mb(),
        peak_threads=sampler.peak_threads,
        peak_children=sampler.peak_children,
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
