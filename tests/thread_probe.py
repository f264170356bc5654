"""Source text shared by the thread probes that run in fresh processes (lightning, kokkos).

``device_thread_ns(layer)`` runs one forward + backward of a batch of 4 and
returns, per thread id, the CPU time (schedstat, in ns) spent inside the
device's execute and derivative calls only, so torch's own work is not counted.
"""

HEAD = """
import json, os, sys, torch
from backends import build_layer, make_circuit

def cpu_ns():
    found = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                found[tid] = int(f.read().split()[0])
        except FileNotFoundError:         # a thread that ended meanwhile
            pass
    return found

def device_thread_ns(layer):
    busy, device = {}, layer.device
    for name in ("execute", "execute_and_compute_derivatives", "compute_derivatives"):
        def timed(*args, _method=getattr(device, name), **kwargs):
            before = cpu_ns()
            result = _method(*args, **kwargs)
            for tid, ns in cpu_ns().items():
                busy[tid] = busy.get(tid, 0) + ns - before.get(tid, 0)
            return result
        setattr(device, name, timed)
    x = torch.rand(4, layer.circuit.n_inputs, requires_grad=True)
    layer(x).sum().backward()
    return busy
"""
