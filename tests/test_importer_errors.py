"""Every refusal of an importer (issue 18, deliverable 10) is one UserError line naming what was wrong and what
is accepted, raised before any work; the expected words are written here by hand."""
from __future__ import annotations

import textwrap

import pennylane as qml
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from backends import UserError
from backends.importers import from_pennylane, from_qiskit, load_circuit

QASM3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as err:
        call(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    return message


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


QISKIT_HEAD = textwrap.dedent("""\
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp
    x, w = Parameter("x"), Parameter("w")
    circuit = QuantumCircuit(2)
    circuit.ry(x, 0)
    circuit.rx(w, 1)
""")

FILE_CASES = [
    ("missing.py", None, ["missing.py does not exist", ".qasm"]),
    ("bad.qasm", QASM3 + "qubit q;\nrx(  q;\n", ["OpenQASM 3 parse error at line 4:", "rx"]),
    ("two.qasm", 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrx(theta) q[0];\n',
     ["OpenQASM 2 cannot carry free parameters", "input float[64]"]),
    ("fixed.qasm", 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n',
     ["no inputs and no weights", "nothing to train"]),
    ("names.qasm", QASM3 + "input float[64] x0;\ninput float[64] phi;\nqubit q;\nrx(x0 + phi) q;\n",
     ["phi are neither inputs nor weights by the naming rule", "x2 before x10"]),
    ("raises.py", "import math\n\nvalue = math.sqrt(-1)\n",
     ["raises.py:3: the circuit file raised ValueError: math domain error"]),
    ("syntax.py", "circuit = (\n", ["syntax.py:1: cannot parse the circuit file"]),
    ("nothing.py", "n = 3\n", ["defines neither a Qiskit circuit", "weight_shapes"]),
    ("noweights.py", QISKIT_HEAD + "input_params = [x]\n", ["defines no 'weight_params'"]),
    ("stray.py", QISKIT_HEAD + "input_params = [x]\nweight_params = []\n",
     ["parameters w are neither inputs nor weights", "input_params or weight_params"]),
    ("complex.py", QISKIT_HEAD + "input_params, weight_params = [x], [w]\n"
                                 "observables = SparsePauliOp(['ZI', 'XX'], [1.0, 0.5j])\n",
     ["observable 1 has the complex coefficient", "'XX'", "real coefficients"]),
    ("size.py", QISKIT_HEAD + "input_params, weight_params = [x], [w]\nobservables = [SparsePauliOp('ZZZ')]\n",
     ["observable 1 acts on 3 qubits; the circuit has 2"]),
    ("weird.txt", "hello\n", ["cannot tell its format from '.txt'", ".qasm", ".py"]),
]


@pytest.mark.parametrize("name,text,expected", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_bad_circuit_file_is_refused_in_one_line(tmp_path, name, text, expected):
    path = tmp_path / name if text is None else write(tmp_path, name, text)
    message = refusal(load_circuit, path)
    for words in expected:
        assert words in message, message


def test_naming_parameters_that_are_not_there_is_refused(tmp_path):
    path = write(tmp_path, "c.qasm", QASM3 + "input float[64] x0;\ninput float[64] w0;\nqubit q;\nrx(x0 * w0) q;\n")
    assert "no input parameter named y; the file declares: w0, x0" in refusal(load_circuit, path, inputs=["y"])


def _qc(*ops):
    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(2, 2)
    qc.ry(x, 0)
    qc.rx(w, 1)
    for op in ops:
        op(qc, x, w)
    return qc, [x], [w]


@pytest.mark.parametrize("ops,expected", [
    ((lambda qc, x, w: qc.measure(0, 0), lambda qc, x, w: qc.h(0)), "a measurement in mid-circuit"),
    ((lambda qc, x, w: qc.reset(1),), "non-unitary operation 'reset'"),
    ((lambda qc, x, w: qc.measure(0, 0), lambda qc, x, w: _if(qc)), "classical control (if_else)"),
    ((lambda qc, x, w: qc.ry(abs(x), 1),), "cannot import Abs in"),
])
def test_a_circuit_that_is_not_gates_in_inputs_and_weights_is_refused(ops, expected):
    qc, xs, ws = _qc(*ops)
    message = refusal(from_qiskit, qc, xs, ws, [SparsePauliOp("ZZ")])
    assert expected in message, message


def _if(qc):
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)


def test_an_observable_on_a_missing_wire_or_with_a_complex_coefficient_is_refused():
    def outside(inputs, weights):
        qml.RY(inputs[..., 0] * weights[0], wires=0)
        return [qml.expval(qml.PauliZ(5))]
    assert "acts on wire 5; the circuit's wires are [0, 1]" in refusal(from_pennylane, outside, 2, {"weights": 1})

    def complex_coeff(inputs, weights):
        qml.RY(inputs[..., 0] * weights[0], wires=0)
        return [qml.expval(qml.s_prod(1j, qml.PauliZ(0)))]
    assert "complex coefficient" in refusal(from_pennylane, complex_coeff, 2, {"weights": 1})


@pytest.mark.parametrize("body,expected", [
    (lambda x, w: qml.AmplitudeEmbedding(x, wires=[0], normalize=True), "state preparation (AmplitudeEmbedding)"),
    (lambda x, w: qml.StatePrep(x, wires=[0], normalize=True), "state preparation (StatePrep)"),
    (lambda x, w: qml.RY(__import__("torch").cos(x[..., 0]), wires=0), "cannot trace the quantum function"),
    (lambda x, w: qml.RandomLayers(w, wires=[0, 1], seed=None), "differs from PennyLane's default.qubit"),
    (lambda x, w: qml.measure(0), "mid-circuit measurement"),
])
def test_a_pennylane_function_the_description_cannot_hold_is_refused(body, expected):
    def qfunc(inputs, weights):
        body(inputs, weights)
        return [qml.expval(qml.PauliZ(0))]
    message = refusal(from_pennylane, qfunc, 2, {"weights": (1, 4)})
    assert expected in message, message


def test_a_pennylane_function_must_return_expectation_values():
    def qfunc(inputs, weights):
        qml.RY(inputs[..., 0] + weights[0], wires=0)
        return qml.probs(wires=[0])
    message = refusal(from_pennylane, qfunc, 2, {"weights": 1})
    assert "output 1 is ProbabilityMP" in message and "qml.expval" in message
