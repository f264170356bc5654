"""What advise says: its answer as lines for a person (stderr) and as one JSON object (stdout, --json).

Kept apart from the race (advise.py) so that the race's rules and the way they are shown can change alone.
"""
from __future__ import annotations

from harness.executing.advise import Advice
from harness.results.stats import format_spread
from harness.results.words import plural


def format_advice(a: Advice) -> str:
    by_step = a.by == "steady step"
    lines = [f"advise: {a.message}", f"ranked by {a.by}; {plural(a.rounds, 'round')} in {a.spent_s:.0f} s of a "
                                      f"{a.budget_s:.0f} s budget"]
    shown = sorted((s for s in a.standings if s.rows), key=lambda s: s.figure(by_step).median)
    for s in shown:
        mem = sorted(r.get("train_peak_rss_mib") or 0 for r in s.rows)[len(s.rows) // 2]
        cores = sorted(r.get("train_effective_cores") or 0 for r in s.rows)[len(s.rows) // 2]
        lead = " (pick)" if a.separated else " (leads, not separated)"     # a leader the rule has not picked
        tag = lead if s.backend == a.pick else " (runner-up)" if s.backend == a.runner_up else ""
        if s.dropped and s.backend != a.runner_up:
            continue
        lines.append(f"  {s.backend}{tag}: {a.by} {format_spread(s.figure(by_step))}; training memory "
                     f"{mem:.0f} MiB, {cores:.2f} cores busy" + (f"; {plural(s.busy, 'busy run')} kept" if s.busy else ""))
    if a.best_balance:
        lines.append(f"  best balance (the report's: time and whole-run peak memory together): {a.best_balance}")
    for s in a.standings:
        if s.dropped:
            lines.append(f"  dropped {s.backend}: {s.dropped}")
    lines.append(f"reproduce it: {a.sweep_command}")
    return "\n".join(lines)


def advice_json(a: Advice) -> dict:
    by_step = a.by == "steady step"

    def fig(s):
        f = s.figure(by_step) if s.rows else None
        return None if f is None else {"median_s": f.median, "low_s": f.low, "high_s": f.high, "n": f.n}
    return {"pick": a.pick, "runner_up": a.runner_up, "separated": a.separated, "ranked_by": a.by,
            "message": a.message, "rounds": a.rounds, "spent_s": a.spent_s, "budget_s": a.budget_s,
            "sweep_command": a.sweep_command, "best_balance": a.best_balance,
            "backends": [{"backend": s.backend, "figure": fig(s), "runs": len(s.rows), "busy_runs": s.busy,
                          "dropped": s.dropped or None} for s in a.standings]}
