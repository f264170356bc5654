"""What every rendering shares: the Section a document is made of, and the helpers that turn figures into table cells."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harness.reporting.claims import CHOICES, timed_out_text
from harness.reporting.report import Report
from harness.results.stats import (
    NOT_DISTINGUISHABLE,
    format_spread,
    verdict,
)

FORMATS = ("md", "csv", "html")
# markdown links its PNG files and CSV has no images, so embedding them means only one thing: the HTML page
SELF_CONTAINED_HTML_ONLY = ("--self-contained embeds the plots in the HTML page; it does not apply to --format {fmt} "
                            "(give --format html)")


# the report's own plot files: a stale one of these is removed so the folder holds only this report's
OWN_PLOTS = ("time_per_backend.png", "loss_curves.png", "time_vs_accuracy.png", "scaling_*.png", "readouts_*.png",
             "predictions_*.png")


@dataclass
class Section:
    title: str
    text: list[str] = field(default_factory=list)                       # paragraphs; `name` marks code
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (caption, table of display text)
    figures: list[tuple[Path, str]] = field(default_factory=list)        # (PNG, caption)


def anchors(sections: list[Section]) -> list[str]:
    """Each section's anchor, as GitHub makes them from a markdown heading (lower case, punctuation dropped,
    spaces to hyphens, a repeat numbered), so one table of contents serves report.html and report.md."""
    seen: dict[str, int] = {}
    out = []
    for sec in sections:
        slug = re.sub(r"[^\w\- ]", "", sec.title.lower()).strip().replace(" ", "-") or "section"
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.append(slug if n == 0 else f"{slug}-{n}")
    return out


def _fmt(value, fmt) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt(value) if callable(fmt) else fmt.format(value)


def md_table(df: pd.DataFrame, columns=None) -> str:
    """A markdown table; columns: (column, header, format) triples (default: every column as text)."""
    columns = columns or [(c, c, str) for c in df.columns]
    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(row.get(c), f).replace("|", "/") for c, _, f in columns) + " |"
            for row in df.to_dict("records")]
    return "\n".join([head, rule, *body])


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _gone(report: Report, c: dict, backend: str) -> str | None:
    """'timed out at 14 qubits' when the backend timed out at a smaller size of this scaling family."""
    q0 = report.timed_out.get((c["family"], backend))
    if c["sizable"] and q0 is not None and int(c["qubits"]) > q0:
        return f"timed out at {q0} qubits"
    return None


def _time_cell(r, figure: str) -> str:
    """A backend's time in one configuration, with spread and n; timed out and not run said so."""
    if r is None:
        return "-"
    if r["runs"] == 0:
        return timed_out_text(r["timeout_s"]) if r["timeouts"] else "failed"
    return format_spread(r[figure])


def _ratio_verdict(a, b, figure: str) -> str:
    """'faster, x0.62' etc.: a against b (lower is faster), by the report's one rule."""
    if a is None or b is None:
        return "-"
    if a["runs"] == 0 or b["runs"] == 0:
        if a["runs"] and b["timeouts"]:
            return "faster (other timed out)"
        if b["runs"] and a["timeouts"]:
            return "slower (timed out)"
        return "-"
    word, why = verdict(a[figure], b[figure])
    ratio = a[figure].median / b[figure].median
    return f"{word}, x{ratio:.2f}" + (f" ({why})" if word == NOT_DISTINGUISHABLE and "overlap" not in why else "")


def _figure(config_row) -> str:
    return "step" if config_row["sizable"] else "train"


def _lookup(report: Report) -> dict:
    return {(r["config"], r["backend"]): r for r in report.summary.to_dict("records")}


def _question_configs(report: Report) -> list[dict]:
    """The columns of a question table: every task configuration; of each scaling family, its smallest and largest size."""
    configs = report.configs
    chosen = [r for r in configs.to_dict("records") if not r["sizable"]]
    sized = configs[configs["sizable"]]
    for _, g in sized.groupby("family", sort=False):
        g = g.assign(q=g["qubits"].astype(int)).sort_values("q")
        chosen += [g.iloc[0].to_dict()] + ([g.iloc[-1].to_dict()] if len(g) > 1 else [])
    return chosen


def _backends(report: Report) -> list[str]:
    order = list(CHOICES) + ["torch", "classical"]
    present = set(report.summary["backend"])
    return [b for b in order if b in present] + sorted(present - set(order))


def _colors(report: Report) -> dict[str, str]:
    """Each present backend's fixed colour (styles.STYLES), whatever else the store holds."""
    from harness.reporting.render.styles import style
    return {b: style(b).color for b in _backends(report)}


def _by_backend(report: Report, cell, configs=None) -> pd.DataFrame:
    """Backends as rows, configurations as columns; cell(summary row or None, config row) -> text."""
    look = _lookup(report)
    configs = configs if configs is not None else _question_configs(report)
    rows = []
    for b in _backends(report):
        rec = {"backend": b}
        for c in configs:
            r = look.get((c["config"], b))
            rec[c["label"]] = (_gone(report, c, b) or "-") if r is None else cell(r, c)
        if any(v != "-" for k, v in rec.items() if k != "backend"):
            rows.append(rec)
    return pd.DataFrame(rows)
