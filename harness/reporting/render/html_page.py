"""The document as one HTML page (its markdown twin written beside it).

The page works on its own: a viewport for phones, tables that scroll sideways with their first column
fixed, a table of contents, plots that open at full size, the provenance of the rows under the title, and
with ``self_contained`` its plots inside it (data URIs), so the one file can be sent alone.
"""
from __future__ import annotations

import base64
import html
import re
import struct
from pathlib import Path

import pandas as pd

from harness.reporting.render.common import anchors
from harness.reporting.render.document import document
from harness.reporting.render.markdown_page import write_markdown
from harness.reporting.render.provenance import provenance
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
p.prov { color: #444; }
nav.toc { background: #f6f7fa; border: 1px solid #e3e5ec; border-radius: 4px; padding: 6px 12px; margin: 10px 0;
          max-width: 1000px; }
nav.toc ol { columns: 2 300px; margin: 4px 0; padding-left: 22px; } nav.toc a { color: #1f4f99; }
div.scroll { overflow-x: auto; max-width: 100%; margin: 0 0 14px; }
table.t { border-collapse: separate; border-spacing: 0; font-size: 12px; }
p.tcap { font-weight: 600; margin: 10px 0 2px; font-size: 13px; }
table.t th { background: #e9ecf4; text-align: left; padding: 4px 6px; vertical-align: bottom; }
table.t td { padding: 3px 6px; border-top: 1px solid #e3e3e8; vertical-align: top; background: #fff; }
table.t tr:nth-child(even) td { background: #f8f8fb; }
table.t th:first-child, table.t td:first-child { position: sticky; left: 0; z-index: 1;
                                               box-shadow: inset -1px 0 0 #d5d8e2; }
td.faster { color: #11702a; } td.slower { color: #a3231b; } td.nd { color: #666; }
td.out { color: #a3231b; font-style: italic; }
ul.warn li { color: #7a4b00; }
figure { margin: 10px 0 22px; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figure.zoom:target { overflow-x: auto; } figure.zoom:target img { max-width: none; }
figcaption { font-size: 12.5px; color: #444; max-width: 1000px; }
@media (max-width: 600px) { body { padding: 0 8px 30px; font-size: 13px; } h1 { font-size: 20px; }
                            h2 { font-size: 17px; } nav.toc ol { columns: 1; }
                            table.t td, table.t th { min-width: 7.5em; }
                            table.t td:first-child, table.t th:first-child { min-width: 6em; max-width: 9em; } }
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
    # the caption stands above the scrolling box, so it stays in view when the table scrolls sideways
    styler = (table.style.set_uuid(f"t{number}").hide(axis="index").format(na_rep="-", escape="html")
              .set_table_attributes('class="t"').set_td_classes(table.map(_cell_class)))
    title = html.escape(caption)
    return (f"<p class='tcap' id='cap-t{number}'>{title}</p><div class='scroll' role='region' tabindex='0' "
            f"aria-labelledby='cap-t{number}'>{styler.to_html()}</div>")


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


def _figure(path: Path, caption: str, number: int, self_contained: bool) -> str:
    """A captioned plot that opens at full size: a link to its PNG, or, when the page carries its images,
    a link to the figure itself, which CSS then shows at its natural width, scrolling sideways."""
    data = path.read_bytes()
    size = _png_size(data)
    dims = f" width='{size[0]}' height='{size[1]}'" if size else ""
    fid = f"fig-{number}"
    if self_contained:
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        href, cls, hint = f"#{fid}", " class='zoom'", "tap or click the plot for its full size"
    else:
        src = href = html.escape(path.name)
        cls, hint = "", "click the plot to open it at full size"
    return (f"<figure id='{fid}'{cls}><a href='{href}' title='{hint}'><img src='{src}' "
            f"alt='{html.escape(path.stem)}'{dims}></a><figcaption>{_inline(caption)}</figcaption></figure>")


def write_html(report: Report, out: Path, self_contained: bool = False) -> Path:
    """report.html (and report.md beside it). ``self_contained``: the plots embedded as data URIs, so the
    one file can be sent alone; the PNG files are still written beside it."""
    sections = document(report, out)
    md = write_markdown(report, out, sections)
    ids = anchors(sections)
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             "<title>hybrid-harness report</title>",
             f"<style>{CSS}</style></head><body>", "<h1>hybrid-harness report</h1>",
             f"<p class='prov'>{_inline(provenance(report.rows))}</p>",
             "<nav class='toc'><strong>Contents</strong><ol>"
             + "".join(f"<li><a href='#{i}'>{html.escape(sec.title)}</a></li>" for i, sec in zip(ids, sections))
             + "</ol></nav>"]
    figures = 0
    for sec, anchor in zip(sections, ids):
        parts.append(f"<h2 id='{anchor}'>{html.escape(sec.title)}</h2>")
        if sec.title == "Warnings":
            parts.append("<ul class='warn'>" + "".join(f"<li>{_inline(w)}</li>" for w in sec.text) + "</ul>")
        else:
            parts += [f"<p>{_inline(p)}</p>" for p in sec.text]
        for caption, table in sec.tables:
            if not table.empty:
                parts.append(_html_table(caption, table, number=len(parts)))
        for path, caption in sec.figures:
            figures += 1
            parts.append(_figure(path, caption, figures, self_contained))
    if self_contained:
        parts.append("<p>This page carries its plots inside it, so it can be sent alone. The same report as "
                     f"markdown, with the PNG files, is in the folder it was written to ({md.name}).</p>")
    else:
        parts.append(f"<p>The same report as markdown: <a href='{md.name}'>{md.name}</a>.</p>")
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path
