"""Bad input gets one clear line: in the API as UserError, on the command line as one line and exit 2."""
import pytest
import torch

from backends import BACKENDS, ShapeError, UserError, build_layer, make_circuit
from harness.measuring.weights import initial_weights


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("bad_shape", [(4, 3), (2,), (1, 2, 2), (0, 2)])
def test_every_backend_refuses_a_batch_of_the_wrong_width(backend, bad_shape):
    # a backend that serves only parity circuits gets the 2-input one it serves
    name = "tutorial-parity" if BACKENDS[backend].refuses(make_circuit("moons")) else "moons"
    circuit = make_circuit(name)
    layer = build_layer(backend, circuit, initial_weights(circuit, 0))
    with pytest.raises(ShapeError) as err:
        layer(torch.zeros(bad_shape))
    assert str(err.value) == (f"circuit '{name}' expects input of shape (batch, 2); received {bad_shape}")


@pytest.mark.parametrize("backend", ["default-backprop", "default-adjoint", "lightning-adjoint", "torch", "classical"])
def test_exact_only_backends_refuse_shots_naming_those_that_can(backend):
    circuit = make_circuit("moons")
    with pytest.raises(UserError) as err:
        build_layer(backend, circuit, initial_weights(circuit, 0), shots=100)
    message = str(err.value)
    assert message.startswith(f"backend '{backend}' cannot sample shots (")
    assert message.endswith("backends with shots: qiskit-shift, qiskit-ml, qiskit-ml-sampler, default-shift, "
                            "lightning-shift, kokkos-shift, qulacs-shift, qiskit-ml-lincomb")


@pytest.mark.parametrize("shots", [0, -5, 2.5, True, "abc"])
def test_shots_must_be_a_positive_integer(shots):
    circuit = make_circuit("moons")
    with pytest.raises(UserError, match="shots must be a whole number from 1 to 1000000000; received"):
        build_layer("qiskit-shift", circuit, initial_weights(circuit, 0), shots=shots)


def test_one_mistake_reads_the_same_in_python_and_on_the_command_line(capsys):
    from harness.cli import main
    from harness.datasets.moons import load_moons
    cases = [(["run", "--backend", "qiskit-shift", "--shots", "0"],
              lambda: build_layer("qiskit-shift", make_circuit("moons"), [0.0, 0.0], shots=0)),
             (["run", "--task", "scaling", "--qubits", "31"], lambda: make_circuit("entangler", 31, 1)),
             (["run", "--seed", "-1"], lambda: load_moons(seed=-1))]
    for argv, api in cases:
        try:
            assert main(argv) == 2
        except SystemExit as stop:          # argparse's type errors end the parse itself
            assert stop.code == 2
        typed = capsys.readouterr().err.strip().splitlines()[-1]
        with pytest.raises(UserError) as err:
            api()
        # the same rule in the same words; the command line quotes the text typed ('0'), Python the value
        rule = str(err.value).split("; received")[0]
        assert rule in typed and typed.count("must be") == 1, (typed, str(err.value))


def test_unknown_backend_lists_valid_names():
    with pytest.raises(UserError) as err:
        build_layer("lightning-backprop", make_circuit("moons"), torch.zeros(2))
    assert str(err.value) == ("unknown backend 'lightning-backprop'; valid: " + ", ".join(BACKENDS))


def test_initial_weights_of_the_wrong_size_are_refused():
    with pytest.raises(ShapeError, match="circuit 'moons' has 2 weights; received initial weights of shape"):
        build_layer("torch", make_circuit("moons"), torch.zeros(3))


@pytest.mark.parametrize("args,message", [
    (["check", "--backends", "nope"], "error: unknown backend 'nope'; valid: qiskit-shift, qiskit-ml,"),
    (["check", "--circuits", "nope"], "error: unknown circuit 'nope'; valid: textbook, moons, tutorial, entangler"),
    (["check", "--qubits", "0"], "error: argument --qubits: qubits must be a whole number from 1 to 30; "
                                 "received '0'"),
    (["check", "--layers", "-1"], "error: argument --layers: layers must be a whole number from 1 to 1000; "
                                  "received '-1'"),
    (["check", "--shots", "0"], "error: argument --shots: shots must be a whole number from 1 to 1000000000; "
                                "received '0'"),
    (["check", "--shots", "many"], "error: argument --shots: shots must be a whole number from 1 to "
                                   "1000000000; received 'many'"),
    # nothing could be compared: refused, not "all checked backends agree"
    (["check", "--backends", "default-backprop", "--shots", "10", "--circuits", "moons"],
     "error: none of the chosen backends (default-backprop) can sample shots, so nothing would be checked; "
     "backends with shots: qiskit-shift"),
])
def test_cli_errors_are_one_line(run_cli, args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
