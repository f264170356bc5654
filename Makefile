# Two entry points a newcomer needs: `make run` (the main job) and `make test`.
# Both set up .venv first. torch is installed alone and pinned, from the CPU
# build, before anything else, so nothing can pull a CUDA build of torch.
PY := .venv/bin/python
# Elsewhere, a CPU-only user adds: TORCH_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_ARGS ?=

.venv/installed: pyproject.toml constraints.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0 $(TORCH_ARGS)
	$(PY) -m pip install -q -c constraints.txt -e ".[test,ray]"
	touch $@

setup: .venv/installed

run: setup
	$(PY) -m harness run --backend lightning-adjoint

check: setup
	$(PY) -m harness check

report: setup
	$(PY) -m harness report --results results/reference
	$(PY) -m harness report --results results/reference --format html
	$(PY) -m harness report --results results/reference --format csv
	$(PY) -m harness report --results results/readouts
	$(MAKE) readme

# the installed wheel first (a user's install, outside the checkout), then every test
test: setup
	scripts/check_wheel.sh
	$(PY) -m pytest -q --benchmark-disable tests benchmarks

# README's list of row fields, regenerated from harness/results/fields.py, and its "Which should I pick?",
# the report's summary of results/reference (a test fails when either is stale)
readme: setup
	$(PY) -c "from harness.results.fields import write_readme; write_readme('README.md')"
	$(PY) -c "from harness.reporting.summary import write_readme; write_readme('README.md', 'results/reference')"
	$(PY) -c "from harness.reporting import summary as s; s.write_readme('README.md', 'results/readouts', (s.READOUTS_START, s.READOUTS_END))"

# Timed pytest-benchmark suites, alone in their pytest process so the thread budget
# (HARNESS_BENCH_THREADS, default every allowed CPU) is set before any import. Results
# are saved as numbered files under results/benchmarks/<machine>/, never overwritten.
BENCH_ARGS ?=
bench: setup
	$(PY) -m pytest -q benchmarks/test_layers.py --benchmark-autosave \
		--benchmark-storage=file://results/benchmarks $(BENCH_ARGS)

# Harness training time against the bare loop, per backend family (see benchmarks/overhead.py).
overhead: setup
	$(PY) benchmarks/overhead.py

.PHONY: setup run check report test readme bench overhead reference

# The committed reference results: resumable sweeps into results/reference (run again to go on
# where it stopped; stored configurations of the same code are skipped), then the report. --drop-slow 4:
# one seed, not three, for a backend whose first run lies more than 4x beyond its race's leader (README).
REF := $(PY) -m harness sweep --results results/reference --threads 2 --backends all --drop-slow 4
READOUT := $(PY) -m harness sweep --results results/readouts --threads 2 --drop-slow 4 --tasks scaling --layers 1 --batch-sizes 16 \
	--epochs 1 --train-size 336 --seeds 0,1,2 --timeout 90
reference: setup
	$(REF) --tasks moons,mnist01,mnist37 --seeds 0,1,2 --timeout 900
	$(REF) --tasks tutorial-classify,tutorial-parity,tutorial-regress --seeds 0,1,42 --timeout 900
	$(REF) --tasks mnist01 --circuit tutorial --epochs 10 --seeds 0,1,2 --timeout 900
	$(REF) --tasks scaling --qubits 2,4,6,8,10,12,14,16 --layers 1,3 --batch-sizes 16 --epochs 1 \
		--train-size 336 --seeds 0,1,2 --timeout 60
	# the readout axis, in a store of its own (results/readouts): the backends that decide "adjoint or backprop"
	$(READOUT) --qubits 2,4,6,8,10,12,14,16 --observables z0,z-all,ising \
		--backends default-backprop,lightning-adjoint,lightning-adjoint-vjp,default-adjoint-vjp,torch,qiskit-shift,kokkos-adjoint,kokkos-adjoint-vjp,tc-jax
	$(READOUT) --qubits 4,8,12 --observables zz-ring,xyz-all \
		--backends default-backprop,lightning-adjoint,lightning-adjoint-vjp,default-adjoint-vjp,torch,kokkos-adjoint,kokkos-adjoint-vjp,tc-jax
	# lightning.kokkos with its documentation's OpenMP binding, beside its default (above)
	$(READOUT) --qubits 12,14,16 --observables z-all --env OMP_PROC_BIND=spread --env OMP_PLACES=threads \
		--backends kokkos-adjoint,kokkos-adjoint-vjp
	$(MAKE) report
