"""The HTML page works on its own (viewport, scrolling tables, contents, full-size plots, --self-contained,
provenance) and its plots are drawn for a page: fixed backend styles, page-wide sizes, timeouts and
crossovers that stay apart, a curve for one-step tasks, one prediction panel per distinct result."""
import base64
import json
import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from backends import BACKENDS
from harness.reporting.report import build_report
from harness.reporting.render import write
from harness.reporting.render.common import anchors
from harness.reporting.render.provenance import provenance
from harness.reporting.render.styles import STYLES, style
from harness.results.store import store_path

GOLDEN = Path(__file__).parent / "golden"
# 16 rows of the committed reference store: tutorial-classify and tutorial-regress (one LBFGS step each,
# with their function-evaluation losses and test predictions), torch, default-backprop, lightning-adjoint
# and classical, seeds 0 and 1. torch and default-backprop predict alike on both tasks, lightning-adjoint
# with them on the regression only, classical on neither.
TUTORIAL = GOLDEN / "tutorial_runs.jsonl"
PAGE_PX = 1300          # html_page's max-width


def _store(tmp_path_factory, name, source) -> Path:
    folder = tmp_path_factory.mktemp(name)
    shutil.copy(source, store_path(folder))
    return folder


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


class Page(HTMLParser):
    """The parts of the page these tests read: ids, links, images (with the link around each), tables."""

    def __init__(self, text: str):
        super().__init__()
        self.ids, self.links, self.imgs, self.meta, self.h2 = set(), [], [], [], []
        self.tables_in_scroll = self.tables = 0
        self._stack, self._link = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a":
            self._link = a.get("href")
            self.links.append(self._link)
        if tag == "img":
            self.imgs.append(dict(a, link=self._link))
        if tag == "meta":
            self.meta.append(a)
        if tag == "h2":
            self.h2.append(a.get("id"))
        if tag == "table":
            self.tables += 1
            self.tables_in_scroll += any(t == "div.scroll" for t in self._stack)
        if tag == "div":
            self._stack.append("div.scroll" if a.get("class") == "scroll" else "div")

    def handle_endtag(self, tag):
        if tag == "a":
            self._link = None
        if tag == "div" and self._stack:
            self._stack.pop()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """golden2 (scaling with a timeout and a crossover, moons, failures) as a page and as a self-contained page."""
    store = _store(tmp_path_factory, "g2", GOLDEN / "runs2.jsonl")
    report = build_report(store)
    linked, alone = tmp_path_factory.mktemp("linked"), tmp_path_factory.mktemp("alone")
    return report, write(report, linked, "html"), write(report, alone, "html", self_contained=True)


def test_page_has_a_viewport_contents_that_resolve_scrolling_tables_and_plots_that_open(pages):
    report, linked, _ = pages
    text = linked.read_text()
    page = Page(text)
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.meta
    toc = [h for h in page.links if h and h.startswith("#") and not h.startswith("#fig-")]
    assert toc and len(toc) == len(page.h2) and all(h[1:] in page.ids for h in toc)     # every entry lands
    assert [h[1:] for h in toc] == page.h2                  # one per section, in order
    assert page.tables >= 8 and page.tables_in_scroll == page.tables
    assert re.search(r"table\.t th:first-child, table\.t td:first-child \{ position: sticky; left: 0;", text)
    assert page.imgs and all(img["link"] == img["src"] and (linked.parent / img["src"]).is_file() for img in page.imgs)
    for img in page.imgs:                 # width and height given, so the page does not jump as plots load
        assert (int(img["width"]), int(img["height"])) == _png_size((linked.parent / img["src"]).read_bytes())
    assert "Measured from commit abc (all 51 rows)" not in text and "Measured from a clean commit: abc (all 51 rows)." in text
    md = (linked.parent / "report.md").read_text()
    contents = next(line for line in md.splitlines() if line.startswith("Contents: "))
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert re.findall(r"\]\(#([^)]+)\)", contents) == page.h2 and len(headings) == len(page.h2)


def test_self_contained_page_carries_its_plots_and_needs_no_other_file(pages, tmp_path):
    _, linked, alone = pages
    sent = tmp_path / "inbox" / "report.html"          # the one file, somewhere else
    sent.parent.mkdir()
    shutil.copy(alone, sent)
    page = Page(sent.read_text())
    assert len(page.imgs) == len(Page(linked.read_text()).imgs) >= 4
    for img in page.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        data = base64.b64decode(img["src"].split(",", 1)[1], validate=True)
        assert data == (alone.parent / img["alt"]).with_suffix(".png").read_bytes()    # the very PNG written
        assert _png_size(data) == (int(img["width"]), int(img["height"]))
        assert img["link"].startswith("#fig-") and img["link"][1:] in page.ids       # opens in place
    relative = [h for h in page.links if h and not h.startswith(("#", "data:", "http"))]
    assert relative == [] and "report.md'" not in sent.read_text()


def test_self_contained_is_refused_for_markdown_and_csv_before_anything_is_made(tmp_path, capsys):
    from harness.cli import main
    shutil.copy(GOLDEN / "runs.jsonl", store_path(tmp_path))
    for fmt in ("md", "csv"):
        out = tmp_path / f"out-{fmt}"
        assert main(["report", "--results", str(tmp_path), "--format", fmt, "--self-contained", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"does not apply to --format {fmt}" in err and not out.exists()
    out = tmp_path / "out-html"
    assert main(["report", "--results", str(tmp_path), "--format", "html", "--self-contained", "--out", str(out)]) == 0
    assert "data:image/png;base64," in (out / "report.html").read_text()


def _rows(*spec) -> pd.DataFrame:
    return pd.DataFrame([{"git_commit": c, "code_version": v} for c, v, n in spec for _ in range(n)])


def test_provenance_says_clean_or_names_the_uncommitted_share():
    assert provenance(_rows(("abc1234", "c1", 3))) == "Measured from a clean commit: abc1234 (all 3 rows)."
    assert provenance(_rows(("abc1234", "c1", 4), ("def5678+dirty", "c1", 2), ("0123abc+dirty", "c9", 1))) == (
        "Measured from commit abc1234 (clean, 4 of 7 rows); from def5678 with uncommitted changes (2 of 7 rows; "
        "measuring code version c1, as in the clean rows of abc1234: the change left the measuring code as "
        "committed); from 0123abc with uncommitted changes (1 of 7 rows; measuring code version c9, which no "
        "clean row shares: the change may have touched what was measured).")
    assert provenance(_rows(("abc1234+dirty", None, 2))) == (
        "Measured from abc1234 with uncommitted changes (all 2 rows; no code version recorded, so whether the "
        "change touched the measuring code is unknown).")
    assert "from an unknown commit (1 of 2 rows" in provenance(_rows(("abc1234", "c1", 1), (None, None, 1)))


def test_every_registered_backend_has_a_fixed_style_a_family_shares_a_hue():
    assert set(BACKENDS) <= set(STYLES)
    assert len({s.color for s in STYLES.values()}) == len(STYLES)
    for family in {s.family for s in STYLES.values()}:
        members = [s for s in STYLES.values() if s.family == family]
        assert len({(s.marker, s.linestyle) for s in members}) == len(members), family
    for a, b in (("lightning-adjoint", "lightning-adjoint-vjp"), ("kokkos-adjoint", "kokkos-shift"),
                 ("default-backprop", "default-adjoint-vjp")):
        assert style(a).family == style(b).family and style(a).linestyle != style(b).linestyle
    # pinned: a report of two backends draws them as a report of all does, today and next year
    assert style("lightning-adjoint").color == "#00541f" and style("torch").color == "#000000"
    assert style("not-registered-yet") == style("not-registered-yet") and style("not-registered-yet").family == "other"


def test_plots_fit_the_page_and_the_time_plot_is_no_longer_a_strip(pages):
    _, linked, _ = pages
    for png in linked.parent.glob("*.png"):
        width, height = _png_size(png.read_bytes())
        assert width <= PAGE_PX and height <= 1800, (png.name, width, height)
    width, height = _png_size((linked.parent / "time_per_backend.png").read_bytes())
    assert width / height < 4                  # two panels side by side; the old strip of 7 was 6.6 to 1
    from harness.reporting.render.plotting import PAGE_WIDTH_IN, _grid, _plt
    plt = _plt()
    fig, axes = _grid(plt, 7, height_in=3)      # the reference store's seven task configurations
    assert len(axes) == 7 and fig.get_figwidth() <= PAGE_WIDTH_IN and fig.get_figheight() == 9
    assert sum(ax.axison for ax in fig.axes) == 7          # 3 x 3, the last two cells off
    plt.close(fig)


def test_timeouts_at_one_size_stack_and_crossovers_get_bands_of_their_own():
    from harness.reporting.render.plotting import _plt
    from harness.reporting.render.plots_scaling import _crossover_strip, _timeouts
    plt = _plt()
    fig, (ax, band) = plt.subplots(2, 1)
    ax.plot([2, 8], [1, 10])
    g = pd.DataFrame({"backend": ["qiskit-ml", "default-shift", "torch"], "runs": [0, 0, 3],
                      "timeouts": [3, 3, 0], "q": [6, 6, 6]})
    assert _timeouts(ax, g, ["qiskit-ml", "default-shift", "torch"]) == ["qiskit-ml at 6", "default-shift at 6"]
    xs = [line for line in ax.lines if line.get_marker() == "X"]
    at = [line.get_transform().transform((6, 1.0)) for line in xs]
    assert len(at) == 2 and abs(at[0][1] - at[1][1]) > 8 and abs(at[0][0] - at[1][0]) < 1e-6   # stacked, apart
    assert [t.get_text() for t in ax.texts] == ["qiskit-ml", "default-shift"]
    cross = pd.DataFrame({"a": ["lightning-adjoint", "lightning-adjoint-vjp"], "b": ["default-backprop"] * 2,
                          "low": [12.0, 12.0], "high": [16.0, 16.0]})
    _crossover_strip(band, cross, 2, 16)
    bars = band.patches
    assert len(bars) == 2 and bars[0].get_hatch() != bars[1].get_hatch() and bars[0].get_y() != bars[1].get_y()
    assert [t.get_text().strip() for t in band.texts] == ["lightning-adjoint overtakes default-backprop",
                                                          "lightning-adjoint-vjp overtakes default-backprop"]
    plt.close(fig)


def test_one_step_tasks_plot_their_evaluations_and_predictions_only_what_differs(tmp_path_factory):
    store = _store(tmp_path_factory, "tut", TUTORIAL)
    out = tmp_path_factory.mktemp("tut-out")
    report = build_report(store, include_busy=True)
    page = write(report, out, "md").read_text()
    loss = next(line for line in page.splitlines() if line.startswith("*Training loss"))
    assert "drawn per function evaluation of their single LBFGS step" in loss and "Not drawn" not in loss
    rows = [json.loads(line) for line in TUTORIAL.read_text().splitlines()]
    assert all(len(r["loss_per_epoch"]) == 1 and len(r["function_eval_losses"]) > 3 for r in rows)
    for task, distinct, alike, px in (("tutorial-classify", 3, "default-backprop, torch", (700, 1100)),
                                      ("tutorial-regress", 2, "default-backprop, lightning-adjoint, torch", (450, 700))):
        caption = next(line for line in page.splitlines() if line.startswith(f"*What each backend learned on {task}"))
        assert f"4 backends, {distinct} distinct results" in caption and f"more: {alike})" in caption
        width, _ = _png_size((out / f"predictions_{task}.png").read_bytes())
        assert px[0] < width < px[1], width          # a panel per distinct result, not one per backend


def test_anchors_follow_github_and_number_repeats():
    from harness.reporting.render.common import Section
    secs = [Section("Which should I pick?"), Section("Adjoint or backprop? Does device_vjp change the answer?"),
            Section("Memory"), Section("Memory")]
    assert anchors(secs) == ["which-should-i-pick", "adjoint-or-backprop-does-device_vjp-change-the-answer",
                             "memory", "memory-1"]


def test_the_import_sizes_the_text_names_are_the_stores_own_medians():
    """Medians by framework, by hand: Qiskit (350, 360) -> 355; PennyLane (540, 560; its MNIST row, whose setup
    holds the images, left out) -> 550; torch 300. A framework without runs is not named."""
    from harness.reporting.render.document import _import_sizes
    runs = pd.DataFrame({"backend": ["qiskit-shift", "qiskit-shift", "default-backprop", "lightning-adjoint",
                                     "default-backprop", "torch"],
                         "task": ["moons", "scaling", "moons", "moons", "mnist01", "moons"],
                         "setup_peak_rss_mib": [350.0, 360.0, 540.0, 560.0, 900.0, 300.0]})
    assert _import_sizes(runs) == " (about 355 MiB for Qiskit and Aer, 550 for PennyLane, 300 for torch alone here)"
    without_qiskit = runs[runs["backend"] != "qiskit-shift"]
    assert _import_sizes(without_qiskit) == " (about 550 MiB for PennyLane, 300 for torch alone here)"
    assert _import_sizes(runs.iloc[:0]) == ""
