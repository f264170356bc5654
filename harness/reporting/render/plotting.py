"""Matplotlib set-up shared by every plot: headless backend, panels, saving, one legend outside.

Plots are drawn for a page about 1300 px wide (html_page's max-width): at DPI 90 a figure of at most
PAGE_WIDTH_IN inches shows at its natural size, so a 9 pt label reads as 11 px. Many panels wrap into rows
(``_grid``) instead of one strip that the browser would shrink to illegible labels.
"""
from __future__ import annotations

from pathlib import Path

DPI = 90
PAGE_WIDTH_IN = 13.5        # 1215 px at DPI, before the tight bounding box adds its margin


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8.5})
    return plt


def _panels(plt, n: int, width_in: float = 5.0, height_in: float = 4.0):
    fig, axes = plt.subplots(1, n, figsize=(width_in * n, height_in), squeeze=False)
    return fig, axes[0]


def _grid(plt, n: int, height_in: float, columns: int | None = None, width_in: float | None = None):
    """n panels in rows of ``columns`` (default: 3 for five or more, else up to 2) across ``width_in``
    (default: 4.5 in a column, at most the page); the unused cells of the last row are switched off.
    Returns (figure, the n axes)."""
    columns = columns or (3 if n >= 5 else min(n, 2))
    width_in = width_in or min(PAGE_WIDTH_IN, 4.5 * columns)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width_in, height_in * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_axis_off()
    return fig, flat[:n]


def _save(plt, fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend_outside(fig, below: bool = False, columns: int = 4, **kw):
    """One legend for the whole figure, never over the data: to the right of the panels, or below them
    (``below``, in ``columns`` columns) where the figure already spans the page."""
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if not handles:
        return
    columns = max(1, min(columns, len(labels), int(fig.get_figwidth() / 3.2)))    # entries no wider than the figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):     # it makes room for an "outside" legend
        fig.legend(handles, labels, loc="outside lower center" if below else "outside right upper",
                   ncol=columns if below else 1, frameon=False, **kw)
    elif below:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns, frameon=False, **kw)
    else:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.95), frameon=False, **kw)
