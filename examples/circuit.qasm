// Exported by Qiskit (qiskit.qasm3.dumps) from a 3-qubit circuit with ParameterVectors x (inputs) and w (weights):
// rzz is not in stdgates.inc, so the exporter writes it as a custom gate; outputs default to <Z> on each qubit.
OPENQASM 3.0;
include "stdgates.inc";
input float[64] _w_0_;
input float[64] _w_1_;
input float[64] _w_2_;
input float[64] _w_3_;
input float[64] _x_0_;
input float[64] _x_1_;
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
bit[3] meas;
qubit[3] q;
h q[0];
ry(_x_0_) q[0];
h q[1];
ry(_x_1_) q[1];
rzz(_x_0_*_x_1_) q[0], q[1];
rzz(_w_0_) q[1], q[2];
ry(_w_1_) q[0];
ry(_w_2_) q[1];
rx(_w_3_/2) q[2];
cx q[2], q[0];
barrier q[0], q[1], q[2];
meas[0] = measure q[0];
meas[1] = measure q[1];
meas[2] = measure q[2];
