"""Matplotlib set-up shared by every plot: headless backend, panels, saving, one legend outside."""
from __future__ import annotations

from pathlib import Path


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _panels(plt, n: int, width_in: float = 5.0, height_in: float = 4.0):
    fig, axes = plt.subplots(1, n, figsize=(width_in * n, height_in), squeeze=False)
    return fig, axes[0]


def _save(plt, fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend_outside(fig, **kw):
    """One legend to the right of the panels, never over the data."""
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8, frameon=False, **kw)
