// The built-in moons circuit (backends/library.py) in OpenQASM 3.
// Inputs x0, x1 and weights w0, w1 by the naming rule; outputs default to <Z> on each qubit.
OPENQASM 3.0;
include "stdgates.inc";
input float[64] x0;
input float[64] x1;
input float[64] w0;
input float[64] w1;
qubit[2] q;
h q[0];
rz(2 * x0) q[0];
h q[1];
rz(2 * x1) q[1];
cx q[0], q[1];
ry(w0) q[0];
ry(w1) q[1];
