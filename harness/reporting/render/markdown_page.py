"""The document as markdown, with its PNG plots beside it."""
from __future__ import annotations

from pathlib import Path

from harness.reporting.render.common import anchors, md_table
from harness.reporting.render.document import document
from harness.reporting.render.provenance import provenance
from harness.reporting.report import Report


def write_markdown(report: Report, out: Path, sections=None) -> Path:
    sections = sections if sections is not None else document(report, out)
    lines = ["# hybrid-harness report", "", provenance(report.rows), "", "Contents: " + " · ".join(
        f"[{sec.title}](#{anchor})" for sec, anchor in zip(sections, anchors(sections))), ""]
    for sec in sections:
        lines += [f"## {sec.title}", ""]
        if sec.title == "Warnings":
            lines += [f"- {w}" for w in sec.text] + [""]
        else:
            for p in sec.text:
                lines += [p, ""]
        for caption, table in sec.tables:
            if not table.empty:
                lines += [f"**{caption}**", "", md_table(table), ""]
        for path, caption in sec.figures:
            lines += [f"![{path.stem}]({path.name})", "", f"*{caption}*", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
