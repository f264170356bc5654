"""Rendering a ``Report``: markdown with PNG plots, CSV tables, or one HTML page.

Markdown and HTML are two renderings of one document (``document.document``):
the same sections, explanatory text, tables and captioned figures. Tables on
the page answer one question each, with a backend per row and a few
configurations per column; the full per-configuration tables (and every run)
go to the CSV export.
"""
from __future__ import annotations

from pathlib import Path

from backends import UserError

from harness.reporting.render.common import FORMATS, SELF_CONTAINED_HTML_ONLY, md_table
from harness.reporting.report import Report

__all__ = ["FORMATS", "SELF_CONTAINED_HTML_ONLY", "md_table", "write"]


def write(report: Report, out_dir, fmt: str = "md", self_contained: bool = False) -> Path:
    """The report in ``fmt`` under ``out_dir``; ``self_contained`` (html only) embeds the plots in the page."""
    from harness.reporting.render.csv_tables import write_csv
    from harness.reporting.render.html_page import write_html
    from harness.reporting.render.markdown_page import write_markdown

    if fmt not in FORMATS:
        raise UserError(f"unknown report format '{fmt}'; valid: {', '.join(FORMATS)}")
    if self_contained and fmt != "html":
        raise UserError(SELF_CONTAINED_HTML_ONLY.format(fmt=fmt))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        return write_html(report, out, self_contained=self_contained)
    return {"md": write_markdown, "csv": write_csv}[fmt](report, out)
