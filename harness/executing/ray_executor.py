"""The Ray executor: each configuration of a sweep is one Ray task, on this machine or a cluster.

Ray places the runs; everything else stays as the local executor does it. A
task starts the very same fresh child process (``runner.run_config``) on the
node it lands on and returns the finished row; only the driver (this process)
writes the store, in the order rows arrive, with the store's durability.

* **Resources.** A task reserves ``num_cpus`` equal to its thread budget and,
  for the scaling circuits, the memory the validation step estimates. By
  default at most one run holds a node at a time (``per_node``), so runs do
  not time each other; the driver keeps that count per node itself and pins
  each task to its node (``NodeAffinitySchedulingStrategy``), so it works on
  any cluster without custom resources.
* **Environment.** Ray sets ``OMP_NUM_THREADS=1`` (and others) in its
  workers. The task replaces every thread-related variable of the worker with
  the driver's (the user's own), then the run's budget and ``--env`` apply as
  everywhere, and the child records what it saw.
* **Where a run ran.** Each row's ``machine`` (host, CPU model, cores) is the
  node's: the row is built there. The driver adds ``executor``, ``ray_node_id``
  and ``executor_overhead_s`` (the driver's wait for the row beyond the run's
  own ``run_wall_s``: scheduling and transfer).
* **Failures.** A timeout or a failing child becomes its row as locally.
  Whatever Ray raises for a run becomes its row too (``ray_outcome``): a
  worker that dies, a node that is lost, a cancelled task or one Ray's memory
  monitor killed is ``killed`` naming the cause; an exception the harness
  itself raised on the node is ``failed`` with its traceback. A stop (Ctrl-C,
  SIGTERM, SIGHUP), a row the store refuses or any other error in the driver
  ends the sweep the same way: every task still running is cancelled and each
  run in flight gets its row (``killed``, or its own if it had just finished)
  before the error goes on.
"""
from __future__ import annotations

import os
import re
import sys
import time

from backends import UserError

from harness.results.provenance import THREAD_PREFIXES, allowed_cpus, thread_env
from harness.executing.runner import make_row
from harness.executing.signals import Interrupted, deferred, raise_pending
from backends.library import make_circuit
from harness.inputs.resources import memory_floor
from harness.results.store import RowNotStored
from harness.results.words import plural, verb


WAIT_S = 0.2                # the driver's longest wait before it looks for a stop signal
FETCH_S = 60.0              # a row ray.wait called ready is on this node already: longer means a hung transfer
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")      # Ray colours the header of a task's traceback


def ray_outcome(err: BaseException) -> tuple[str, str, list[str]]:
    """What a run's Ray error says about it: status, one-line cause and the traceback lines that go with it.

    The causes are tried before "the task raised": a cancel that reached a
    running task arrives as a ``RayTaskError`` that is also a
    ``TaskCancelledError``, and is no failure of the run.
    """
    from ray import exceptions as rx
    if isinstance(err, rx.OutOfMemoryError):
        return "killed", "Ray's memory monitor killed the worker (out of memory)", []
    if isinstance(err, rx.TaskCancelledError):
        return "killed", "the Ray task was cancelled", []
    if isinstance(err, rx.NodeDiedError):
        return "killed", "its Ray node was lost (NodeDiedError)", []
    if isinstance(err, rx.WorkerCrashedError):
        return "killed", "its Ray worker died (WorkerCrashedError)", []
    if isinstance(err, rx.ObjectLostError):
        return "killed", f"its row was lost with its Ray worker or node ({type(err).__name__})", []
    if isinstance(err, rx.GetTimeoutError):
        return "killed", f"its row did not reach the driver within {FETCH_S:g} s (GetTimeoutError)", []
    lines = _COLOUR.sub("", str(err)).strip().splitlines() or [type(err).__name__]
    if isinstance(err, rx.RayTaskError):       # the harness itself raised on the node: a bug, with its traceback
        return "failed", f"the run failed on its Ray node: {lines[-1]}", lines
    # Ray itself could not run it or hand its row back (a system error, a full object store, ...): the run
    # was stopped from outside, as a lost worker is; Ray's first line says what happened
    return "killed", f"Ray could not run it ({type(err).__name__}: {lines[0]})", []


def _stop_reason(stop: BaseException) -> str:
    """Why the driver ended with runs in flight, for their rows."""
    if isinstance(stop, Interrupted):
        return stop.describe()
    if isinstance(stop, KeyboardInterrupt):
        return "interrupted by the user (Ctrl-C)"
    if isinstance(stop, RowNotStored):
        return "the sweep stopped: a row could not be stored"
    first = (str(stop).strip().splitlines() or [""])[0]
    return f"the sweep stopped on an error in its driver ({type(stop).__name__}{': ' + first if first else ''})"


def _run_on_node(cfg_dict: dict, driver_thread_env: dict) -> dict:
    """Inside a Ray worker: the run, as the local executor runs it; its row comes back unstored."""
    # Ray's own thread settings are not the user's: the driver's environment wins
    for name in [n for n in os.environ if n.startswith(THREAD_PREFIXES)]:
        del os.environ[name]
    os.environ.update(driver_thread_env)
    from harness.inputs.config import RunConfig
    from harness.executing.runner import run_config

    rows: list[dict] = []

    class _Collect:                       # a "store" that hands the row back to the driver
        append = staticmethod(rows.append)

    run_config(RunConfig.from_dict(cfg_dict), echo=None, store=_Collect())
    return rows[0]


REACH_TIMEOUT_S = 5


def reachable(address: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """A HOST:PORT Ray address answers a TCP connection within ``timeout_s``; else one line saying so."""
    import socket
    text = address.removeprefix("ray://")
    host, sep, port = text.rpartition(":")
    if address == "auto" or not sep:
        return                           # Ray resolves these itself (a local cluster's address file)
    if not port.isdigit():
        raise UserError(f"--address must be HOST:PORT of a Ray head, such as 127.0.0.1:6379; received {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise UserError(f"cannot reach a Ray head at {address} within {timeout_s:g} s "
                        f"({err.strerror or type(err).__name__}); start one with 'ray start --head' there, "
                        f"or give its address") from None


class RayCluster:
    """A Ray instance for one sweep: started here (``address`` None) or joined (``address``)."""

    def __init__(self, address: str | None, per_node: int, configs, out=sys.stderr):
        try:
            import ray
        except ImportError:
            raise UserError("the ray executor needs Ray: pip install 'hybrid-harness[ray]'") from None
        if isinstance(per_node, bool) or not isinstance(per_node, int) or per_node < 1:
            raise UserError(f"--per-node must be a whole number of at least 1; received {per_node!r}")
        if address is not None:
            reachable(address)           # before Ray's own retries, which go on for minutes and flood the terminal
        self.ray, self.per_node, self.out = ray, per_node, out
        self.started_here = address is None
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        init = dict(include_dashboard=False, log_to_driver=False, configure_logging=False,
                    ignore_reinit_error=True)
        try:
            if address is None:
                # a local instance on this machine's allowed CPUs, reachable on loopback only
                ray.init(num_cpus=allowed_cpus(), _node_ip_address="127.0.0.1", **init)
            else:
                ray.init(address=address, **init)
        except Exception as err:       # Ray's connection errors have many types; the user needs the cause
            raise UserError(f"could not {'start' if address is None else 'join'} Ray"
                            f"{'' if address is None else f' at {address!r}'}: "
                            f"{str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}") \
                from None
        self.nodes = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU")}
        if not self.nodes:
            self.close()
            raise UserError("the Ray cluster has no live node with CPUs")
        most = max(int(n["Resources"]["CPU"]) for n in self.nodes.values())
        for cfg in configs:
            if cfg.threads > most:
                self.close()
                raise UserError(f"{plural(cfg.threads, 'thread')} per run {verb(cfg.threads, 'does', 'do')} not fit any Ray node (the largest has "
                                f"{plural(most, 'CPU')}); use --threads {most} or less")
        self.remote = ray.remote(_run_on_node)
        if per_node > 1:
            print(f"warning: --per-node {per_node}: up to {per_node} runs share each node at once and disturb "
                  f"each other's timings; compare such figures only with runs made the same way",
                  file=out, flush=True)
        hosts = sorted({n.get("NodeManagerHostname", "?") for n in self.nodes.values()})
        print(f"ray: {len(self.nodes)} node{'s' if len(self.nodes) > 1 else ''} ({', '.join(hosts)}), "
              f"at most {per_node} run{'s' if per_node > 1 else ''} per node", file=out, flush=True)

    def lanes(self, configs) -> int:
        """Runs at once over the cluster, for the ETA (the first configuration's threads stand for all)."""
        threads = configs[0].threads if configs else 1
        return sum(self._capacity(node, threads) for node in self.nodes.values()) or 1

    def _capacity(self, node: dict, threads: int) -> int:
        return min(self.per_node, int(node["Resources"]["CPU"]) // threads)

    def _options(self, cfg, node_id: str) -> dict:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        options = dict(num_cpus=cfg.threads, max_retries=0,
                       scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False))
        if cfg.qubits:
            need = memory_floor(cfg.backend, make_circuit(cfg.circuit, cfg.qubits, cfg.layers), cfg.batch_size,
                                cfg.test_size)[0]
            if 0 < need <= self.nodes[node_id]["Resources"].get("memory", 0):
                options["memory"] = need
        return options

    def run(self, configs, progress, store) -> None:
        ray = self.ray
        queue = list(configs)
        running: dict = {}                # object ref -> (cfg, claim, node id, submitted at)
        busy = dict.fromkeys(self.nodes, 0)
        user_env = thread_env()
        with deferred():                  # stop signals act between waits, never while a row is stored
            try:
                while queue or running:
                    while queue:
                        cfg = queue[0]
                        node_id = next((n for n, node in self.nodes.items()
                                        if busy[n] < self._capacity(node, cfg.threads)), None)
                        if node_id is None:
                            break         # every node is full: wait for a run to finish
                        queue.pop(0)
                        claim = progress.decide(cfg)
                        if claim is None:
                            continue
                        progress.starting(cfg)
                        try:
                            ref = self.remote.options(**self._options(cfg, node_id)).remote(cfg.as_dict(), user_env)
                        except BaseException:
                            claim.release()       # never submitted: nothing runs, the next sweep runs it
                            raise
                        running[ref] = (cfg, claim, node_id, time.perf_counter())
                        busy[node_id] += 1
                    if not running:
                        continue
                    # a short wait, with stop signals held: a signal acting inside Ray's own wait comes out
                    # as a plain KeyboardInterrupt and loses which signal it was
                    ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_S)
                    raise_pending()
                    for ref in ready:
                        cfg, claim, node_id, submitted = running.pop(ref)
                        busy[node_id] -= 1
                        self._store(self._row(ref, cfg, node_id, submitted), cfg, claim, submitted,
                                    store, progress)
            except BaseException as stop:  # a stop, a refused row, a Ray or driver error: rows for what runs
                self._cancel(running, store, progress, stop)
                raise

    def _store(self, row: dict, cfg, claim, submitted: float, store, progress) -> None:
        waited = time.perf_counter() - submitted
        row["executor_overhead_s"] = max(0.0, waited - (row.get("run_wall_s") or 0.0))
        try:
            store.append(row)
        finally:
            claim.release()
        progress.finished(cfg, row, waited)

    def _row(self, ref, cfg, node_id: str, submitted: float) -> dict:
        """The run's row from its finished task; whatever Ray raises instead becomes the row."""
        try:
            row = self.ray.get(ref, timeout=FETCH_S)
        except Exception as err:          # every error here is this run's outcome, never the sweep's end
            status, error, lines = ray_outcome(err)
            row = self._lost(cfg, node_id, submitted, status, error, lines)
        row["executor"] = "ray"
        row["ray_node_id"] = node_id
        return row

    def _lost(self, cfg, node_id: str, submitted: float, status: str, error: str, lines=()) -> dict:
        """A row built here for a run whose node gave none back; the machine is the node's host as Ray names it."""
        row = make_row(cfg, status, error, list(lines), {}, None, submitted)
        row.update(executor="ray", ray_node_id=node_id)
        row["machine"] = {"hostname": self.nodes[node_id].get("NodeManagerHostname")}
        return row

    def _cancel(self, running: dict, store, progress, stop) -> None:
        """The sweep ends with runs in flight: each one still running is cancelled (its child dies with its
        worker) and stored as killed; one that finished meanwhile is stored with its own row."""
        ray = self.ray
        why = _stop_reason(stop)
        try:
            finished = set(ray.wait(list(running), num_returns=len(running), timeout=0)[0]) if running else set()
        except Exception:                 # Ray itself is failing: no row can be fetched, every run is killed
            finished = set()
        for ref in running:
            if ref not in finished:
                try:
                    ray.cancel(ref, force=True)
                except Exception:         # gone already: nothing left to stop
                    pass
        for ref, (cfg, claim, node_id, submitted) in running.items():
            row = self._row(ref, cfg, node_id, submitted) if ref in finished else \
                self._lost(cfg, node_id, submitted, "killed", f"{why}; the Ray task was cancelled")
            try:
                self._store(row, cfg, claim, submitted, store, progress)
            except RowNotStored as err:   # the store refuses: say so and go on, every run gets its try
                print(f"error: {err}", file=self.out, flush=True)
        running.clear()

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()
