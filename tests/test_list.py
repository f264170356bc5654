"""`harness list`: a part that cannot be imported shows its error, never "(none)"."""
from __future__ import annotations

import dataclasses
import json

from harness.cli import list as listing
from harness.tasks import TASKS


def test_a_task_that_cannot_import_shows_its_error(monkeypatch, capsys):
    broken = dataclasses.replace(TASKS["moons"], name="broken-task", module="no_such_module")
    monkeypatch.setitem(TASKS, "broken-task", broken)
    # the frameworks' import probe is a real subprocess of its own, tested in test_check; here one backend is
    # missing by hand, so the JSON's available/import_error pairing is checked both ways
    status = {name: "yes" for name in listing.BACKENDS} | {"tc-jax": "no (jax: ImportError: by hand)"}
    monkeypatch.setattr(listing, "backend_status", lambda: status)
    text = listing.format_listing()
    line = next(line for line in text.splitlines() if line.strip().startswith("broken-task"))
    assert "cannot load: ModuleNotFoundError: No module named 'harness.tasks.no_such_module'" in line
    assert "(none" not in text
    # every real task still lists its summary
    for task in TASKS.values():
        if task.name != "broken-task":
            assert task.summary in text
    assert listing.run(as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    tasks = {t["name"]: t for t in data["tasks"]}
    assert tasks["broken-task"]["import_error"].startswith("ModuleNotFoundError")
    assert tasks["moons"]["import_error"] is None
    backends = {b["name"]: (b["available"], b["import_error"]) for b in data["backends"]}
    assert backends["tc-jax"] == (False, "jax: ImportError: by hand") and backends["torch"] == (True, None)


def test_list_shows_the_gate_table(monkeypatch, capsys):
    monkeypatch.setattr(listing, "backend_status", lambda: {name: "yes" for name in listing.BACKENDS})
    text = listing.format_listing()
    shown = text.split("gates (")[1].split("tasks:")[0]
    assert "CRX(1)" in shown and "U(3)" in shown and "Toffoli" in shown and shown.count(",") == 29
    data = listing.listing_data()
    by_name = {g["name"]: g for g in data["gates"]}
    assert (by_name["CRX"]["shift_terms"], by_name["RX"]["shift_terms"], by_name["H"]["shift_terms"]) == (4, 2, 0)
    assert by_name["Rot"]["qiskit"] is None and by_name["RZX"]["pennylane"] == "PauliRot:ZX"
