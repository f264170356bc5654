"""The document as one HTML page (its markdown twin written beside it)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from harness.reporting.render.document import document
from harness.reporting.render.markdown_page import write_markdown
from harness.reporting.report import Report
from harness.results.stats import (
    FASTER,
    NOT_DISTINGUISHABLE,
    SLOWER,
)

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; color: #222;
       max-width: 1300px; margin: 0 auto; padding: 0 16px 40px; line-height: 1.45; }
h1 { font-size: 24px; margin: 18px 0 6px; } h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid #ccd; }
p { margin: 6px 0; max-width: 1000px; } code { background: #f1f1f4; padding: 0 3px; border-radius: 3px; }
table.t { border-collapse: collapse; font-size: 12px; margin: 6px 0 14px; }
table.t caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; font-size: 13px; }
table.t th { background: #e9ecf4; text-align: left; padding: 4px 6px; vertical-align: bottom; }
table.t td { padding: 3px 6px; border-top: 1px solid #e3e3e8; vertical-align: top; }
table.t tr:nth-child(even) td { background: #f8f8fb; }
td.faster { color: #11702a; } td.slower { color: #a3231b; } td.nd { color: #666; }
td.out { color: #a3231b; font-style: italic; }
ul.warn li { color: #7a4b00; }
figure { margin: 10px 0 22px; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 12.5px; color: #444; max-width: 1000px; }
"""


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _cell_class(v) -> str:
    v = str(v)
    if v.startswith("timed out") or "(timed out" in v:
        return "out"
    if v.startswith(FASTER):
        return "faster"
    if v.startswith(SLOWER):
        return "slower"
    if v.startswith(NOT_DISTINGUISHABLE):
        return "nd"
    return ""


def _html_table(caption: str, table: pd.DataFrame, number: int) -> str:
    # a fixed id per table (Styler's default is random), so regenerating the report from the same store
    # gives the same page and a committed report shows no diff
    styler = (table.style.set_uuid(f"t{number}").hide(axis="index").format(na_rep="-", escape="html")
              .set_caption(html.escape(caption)).set_table_attributes('class="t"')
              .set_td_classes(table.map(_cell_class)))
    return styler.to_html()


def write_html(report: Report, out: Path) -> Path:
    sections = document(report, out)
    md = write_markdown(report, out, sections)
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'><title>hybrid-harness report</title>",
             f"<style>{CSS}</style></head><body>", "<h1>hybrid-harness report</h1>"]
    for sec in sections:
        parts.append(f"<h2>{html.escape(sec.title)}</h2>")
        if sec.title == "Warnings":
            parts.append("<ul class='warn'>" + "".join(f"<li>{_inline(w)}</li>" for w in sec.text) + "</ul>")
        else:
            parts += [f"<p>{_inline(p)}</p>" for p in sec.text]
        for caption, table in sec.tables:
            if not table.empty:
                parts.append(_html_table(caption, table, number=len(parts)))
        parts += [f"<figure><img src='{html.escape(p.name)}' alt='{html.escape(p.stem)}'>"
                  f"<figcaption>{_inline(caption)}</figcaption></figure>" for p, caption in sec.figures]
    parts.append(f"<p>The same report as markdown: <a href='{md.name}'>{md.name}</a>.</p></body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path
