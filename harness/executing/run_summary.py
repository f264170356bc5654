"""A finished run's figures for a person: the lines `harness run` prints after the child ends.

Each line names its span and unit, so a reader never has to guess whether a figure is training alone or the
whole run. The row is the stored one (runner.make_row), so what is shown and what is kept agree.
"""
from __future__ import annotations

from harness.executing.busy import machine_line
from harness.results.quality import diverged, quality_line
from harness.results.words import plural


def _mib(value) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def _policy(row: dict) -> str:
    env = row.get("thread_env") or {}
    return f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in env else "OMP_WAIT_POLICY unset"


def summary(row: dict) -> str:
    """The run's figures for a person, each naming its span and unit."""
    head = (f"{row['task']} on {row['backend']} (seed {row['seed']}, {plural(row['threads'], 'thread')}, "
            f"{_policy(row)}): {row['status']}")
    if row["status"] != "ok":
        last = (row.get("error") or "").strip().splitlines()
        return head + (f"\n  {last[0]}" if last else "") + (f"\n  ...{last[-1]}" if len(last) > 1 else "")
    train_s = row["train_s"]
    q_share = (row["quantum_forward_s"] + row["quantum_backward_s"]) / train_s if train_s else 0
    num = _Shown(row)
    steps = row.get("steady_step_stats_s") or {}
    spread = (f", IQR {steps['q1'] * 1e3:.1f}-{steps['q3'] * 1e3:.1f} ms over {steps['n']}" if steps else "")
    in_forward = row.get("gradient_computed_in") == "forward call"
    forward_label = "forward call (holds the gradient: computed there)" if in_forward else "forward call"
    backward_label = "backward call (only contracts it)" if in_forward else "backward call (computes the gradient)"
    work = ""
    if row.get("value_executions_per_eval") is not None:
        work = (f"\n  circuits simulated per forward+backward of a batch: {row['value_executions_per_eval']} for values, "
                f"{row['gradient_executions_per_eval']} shifted for the gradient, "
                f"{row['adjoint_passes_per_eval']} adjoint passes")
    return "\n".join([head] + _circuit_line(row) + [
        f"  training {train_s:.2f} s wall ({plural(row['steps'], 'step')}; first {row['first_step_s'] * 1e3:.1f} ms, "
        f"steady median {row['steady_step_s'] * 1e3:.1f} ms{spread})",
        f"  setup {row['setup_s']:.2f} s, evaluation {row['eval_s']:.2f} s (no gradients), "
        f"whole child {row.get('child_wall_s', float('nan')):.2f} s",
        f"  quantum layer {100 * q_share:.0f}% of training: {forward_label} {row['quantum_forward_s']:.2f} s, "
        f"{backward_label} {row['quantum_backward_s']:.2f} s" + work,
        f"  training: peak memory {_mib(row.get('train_peak_rss_mib'))}, {num['train_effective_cores']:.2f} cores busy, "
        f"peak {plural(row.get('train_peak_threads'), 'thread')}, "
        f"{plural(row.get('train_peak_children'), 'child process')}",
        f"  whole run: peak memory {_mib(row.get('run_peak_rss_mib'))}, peak {plural(row.get('run_peak_threads'), 'thread')}",
        f"  {machine_line(row)}",
        f"  {quality_line(row)}" + ("" if diverged(row) else f", final loss {num['final_loss']:.4f} (mean over the last epoch)")
        + (f" ({row['function_evals']} function evaluations, median {row['steady_function_eval_s'] * 1e3:.1f} ms)"
           if row.get("function_evals_per_step") else ""),
    ] + ([f"  not finite, stored as null: {', '.join(row['nonfinite'][:12])}"
           + (f" and {len(row['nonfinite']) - 12} more" if len(row["nonfinite"]) > 12 else "")]
          if row.get("nonfinite") else []))


def _circuit_line(row: dict) -> list[str]:
    """'  circuit examples/c.py (1a2b3c4d), outputs z0 (1 output)' when the run was not a task's own circuit as
    it comes (a file, a size, a readout), so the summary says what was trained; nothing for a task's default."""
    own = row.get("circuit_format") in (None, "built-in")
    parts = [f"circuit {row.get('circuit')}" + ("" if own or not row.get("circuit_digest")
                                                 else f" ({row['circuit_digest'][:8]})")]
    parts += [plural(row[k], word) for k, word in (("qubits", "qubit"), ("layers", "layer")) if row.get(k)]
    parts += [f"outputs {row['observables']}"] if row.get("observables") else []
    if own and len(parts) == 1:
        return []
    outputs = f" ({plural(row['n_outputs'], 'output')})" if row.get("n_outputs") else ""
    return ["  " + ", ".join(parts) + outputs]


class _Shown(dict):
    """A row's figures for formatting: a missing or null one shows as nan, not a TypeError."""

    def __init__(self, row):
        super().__init__(row)

    def __getitem__(self, key):
        value = self.get(key)
        return float("nan") if value is None else value
