"""``sweep --drop-slow``: after the first seed, a backend far behind its race's leader runs no more seeds there,
unless the later seeds move the leader so close that the report could no longer place it with its one run.

A race is one configuration with every framework backend (``race_of``); a backend's figure is what the report
ranks it by (``race_figure``). The first seed decides who is skipped (``far_behind``, low end against the
leader's high end, as the report's far-apart clause compares them). The later seeds can move the leader: its
interval over every seed is wider than over the first, or another backend leads over all of them. So once the
grid has run, ``FirstRound.catch_up`` names the skipped configurations the report could not place behind the
leader over every seed (``FAR_APART``), and the sweep runs them after all: what it skipped stays something the
report can place.
"""
from __future__ import annotations

from statistics import median

from backends import BASELINES
from harness.results.stats import FAR_APART, MIN_RUNS


def race_of(key: tuple) -> tuple:
    """The configurations a backend races against in ``drop_slow``: its key but the backend and the seed."""
    return tuple((k, v) for k, v in key if k not in ("backend", "seed"))


def race_figure(row: dict) -> tuple[float, float, float] | None:
    """What a race is decided by, as the report ranks (the steady step on ``scaling``, else training time):
    (median, low, high), low and high the run's own quartiles where it has them (steady steps), as the
    report's intervals are made."""
    if row.get("task") != "scaling":
        value = row.get("train_s")
        return (value, value, value) if value else None
    step, stats = row.get("steady_step_s"), row.get("steady_step_stats_s") or {}
    if not step:
        return None
    return step, min(step, stats.get("q1") or step), max(step, stats.get("q3") or step)


def far_behind(factor: float, figures: dict[str, tuple[float, float, float]], backend: str) -> str | None:
    """Why ``backend`` runs no more seeds, or None: the low end of its first-round figure lies more than
    ``factor`` times beyond the high end of the leader's (the lowest median among ``figures``, backend ->
    ``race_figure``). The references (``BASELINES``: the torch statevector, the classical twin) never lead
    and are never skipped: the report picks among the frameworks and measures them against the references.
    Low against high, as the report's far-apart clause compares them, so what is skipped here is what the
    report can still place."""
    mine = figures.get(backend)
    rivals = {b: f for b, f in figures.items() if b not in BASELINES}
    if not mine or not rivals or backend in BASELINES:
        return None
    leader = min(rivals, key=lambda b: rivals[b][0])
    if leader == backend or mine[1] <= factor * rivals[leader][2]:
        return None
    return f"{mine[0] / rivals[leader][0]:.1f}x slower than {leader} in the first seed (--drop-slow {factor:g})"


class FirstRound:
    """The first seed's figures of every race (``race_of``), for ``drop_slow``: what the sweep has seen of
    ``seed`` (stored rows and its own), and whether a configuration of a later seed is far behind; and every
    seed's figures, for ``catch_up``."""

    def __init__(self, seed):
        self.seed = seed
        self.figures: dict[tuple, dict[str, tuple[float, float, float]]] = {}     # race -> backend -> figure
        self.every_seed: dict[tuple, dict[str, dict]] = {}          # race -> backend -> seed -> figure

    def note(self, row: dict, key: tuple) -> None:
        """A stored row (``key``: its configuration's key), of any seed."""
        # a run timed on a busy machine decides nothing here, as it decides nothing in the report
        figure = race_figure(row) if row.get("status") == "ok" and row.get("busy") is not True else None
        if not figure:
            return
        self.every_seed.setdefault(race_of(key), {}).setdefault(row["backend"], {})[row.get("seed")] = figure
        if row.get("seed") == self.seed:
            self.figures.setdefault(race_of(key), {})[row["backend"]] = figure

    def behind(self, key: tuple, factor: float | None) -> str | None:
        """Why the configuration of ``key`` runs no more seeds (``far_behind``), or None."""
        fields = dict(key)
        if not factor or fields["seed"] == self.seed:
            return None
        return far_behind(factor, self.figures.get(race_of(key), {}), fields["backend"])

    def catch_up(self, key: tuple) -> bool:
        """Whether a configuration ``behind`` skipped is to run after all: the skipped backend has fewer runs
        than the report compares (``MIN_RUNS``), the leader over every seed has them, and the skipped
        backend's runs no longer all lie beyond ``FAR_APART`` times the leader's interval, as the report's
        far-apart clause reads them (or it leads itself). With a leader short of runs the report makes no claim
        about this race whatever runs here."""
        fields = dict(key)
        runs = {b: list(seeds.values()) for b, seeds in self.every_seed.get(race_of(key), {}).items()
                if b not in BASELINES}
        mine = runs.get(fields["backend"], [])
        if not mine or len(mine) >= MIN_RUNS:
            return False
        leader = min(runs, key=lambda b: median(f[0] for f in runs[b]))
        if leader == fields["backend"]:
            return True
        low = min(f[1] for f in mine)
        return len(runs[leader]) >= MIN_RUNS and low <= FAR_APART * max(f[2] for f in runs[leader])
