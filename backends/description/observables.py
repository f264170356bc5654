"""The outputs of a circuit: ``offset + sum_k c_k <P_k>``, each P_k a Pauli word.

A word is a tuple of ``(wire, letter)`` pairs, letters X, Y or Z, sorted by
wire; identity factors are left out, and a term with no factors (a constant) is
folded into the offset. Coefficients are real: a Pauli sum with real
coefficients is Hermitian, so its expectation value is a real number.

What a backend measures is ``Observable.measured``: for a single-term output
the bare Pauli word, its coefficient applied in torch afterwards with the
offset (``Observable.scale``); for a sum of terms the whole sum as one
observable (a PennyLane Hamiltonian, a Qiskit ``SparsePauliOp``), as a user
would write it. So the built-in circuits, whose outputs are single Z words,
measure exactly what they measured before sums existed.

``parse_observables`` reads the command line's ``--observables SPEC``: outputs
separated by commas, each a sum of terms such as ``0.5*X0Z1 + Y2 - 0.25``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

LETTERS = "XYZ"
Word = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Term:
    coeff: float
    word: Word            # ((wire, letter), ...) sorted by wire, at least one factor

    @property
    def label(self) -> str:
        return "".join(f"{letter}{wire}" for wire, letter in self.word)

    @property
    def is_z(self) -> bool:
        return all(letter == "Z" for _, letter in self.word)


@dataclass(frozen=True)
class Observable:
    terms: tuple[Term, ...]
    offset: float = 0.0

    @property
    def single(self) -> bool:
        return len(self.terms) == 1

    @property
    def scale(self) -> float:
        """The factor applied in torch after measuring: a single term's coefficient, else 1."""
        return self.terms[0].coeff if self.single else 1.0

    @property
    def measured(self) -> tuple[Term, ...]:
        """The terms a backend measures as one observable (see the module's docstring)."""
        return (Term(1.0, self.terms[0].word),) if self.single else self.terms

    @property
    def wires(self) -> tuple[int, ...]:
        return tuple(sorted({w for t in self.terms for w, _ in t.word}))

    @property
    def z_only(self) -> bool:
        """Every term is diagonal in the computational basis (a product of Z)."""
        return all(t.is_z for t in self.terms)

    @property
    def label(self) -> str:
        parts = [] if self.offset == 0 else [f"{self.offset:g}"]
        for t in self.terms:
            if t.coeff == 1.0:
                parts.append(("+" if parts else "") + t.label)
            elif t.coeff == -1.0:
                parts.append("-" + t.label)
            else:
                parts.append(f"{t.coeff:+g}*{t.label}" if parts else f"{t.coeff:g}*{t.label}")
        return "".join(parts) or "0"

    def pauli_labels(self, n_qubits: int) -> list[tuple[str, float]]:
        """Qiskit's little-endian labels (wire 0 rightmost) with coefficients, of ``measured``."""
        out = []
        for t in self.measured:
            chars = ["I"] * n_qubits
            for w, letter in t.word:
                chars[n_qubits - 1 - w] = letter
            out.append(("".join(chars), t.coeff))
        return out

    def pauli_string(self, n_qubits: int) -> str:
        """The one label of a single-term output."""
        if not self.single:
            raise ValueError(f"{self.label} is a sum of {len(self.terms)} terms, not one Pauli word")
        return self.pauli_labels(n_qubits)[0][0]


def z_observable(wires: Sequence[int], scale: float = 1.0, offset: float = 0.0) -> Observable:
    """``offset + scale * <Z_w1 Z_w2 ...>``: the built-in circuits' outputs."""
    return Observable((Term(float(scale), tuple((int(w), "Z") for w in sorted(wires))),), float(offset))


def pauli_sum(terms: Iterable[tuple[float, Iterable[tuple[int, str]]]], offset: float = 0.0) -> Observable:
    """An output from (coefficient, word) pairs: repeated words merge, constants join the offset.

    Raises ``ValueError`` (one line) for a complex or non-finite coefficient, a
    letter other than I/X/Y/Z or a wire repeated within a word.
    """
    merged: dict[Word, float] = {}
    offset = _real(offset)
    for coeff, word in terms:
        coeff = _real(coeff)
        factors = []
        for wire, letter in word:
            letter = str(letter).upper()
            if letter == "I":
                continue
            if letter not in LETTERS:
                raise ValueError(f"Pauli letter {letter!r} is not one of I, X, Y, Z")
            factors.append((int(wire), letter))
        if len({w for w, _ in factors}) != len(factors):
            raise ValueError(f"a Pauli word names a wire twice: {factors}")
        if not factors:
            offset += coeff
            continue
        key = tuple(sorted(factors))
        merged[key] = merged.get(key, 0.0) + coeff
    kept = tuple(Term(c, w) for w, c in merged.items() if c != 0.0)
    if not kept:
        raise ValueError("an output needs at least one Pauli term that is not the identity")
    return Observable(kept, offset)


def _real(value) -> float:
    if isinstance(value, complex) or (hasattr(value, "imag") and getattr(value, "imag") != 0):
        if complex(value).imag != 0:
            raise ValueError(f"coefficient {value} is complex; outputs need real coefficients")
        value = complex(value).real
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"coefficient {value} is not a finite number")
    return value


_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"\s*([-+])?\s*(?:({_NUMBER})\s*(\*)?\s*)?((?:[IXYZixyz]\s*\d+\s*)+)?\s*")
_FACTOR = re.compile(r"([IXYZixyz])\s*(\d+)")


def parse_observables(spec: str) -> tuple[Observable, ...]:
    """``--observables SPEC``: comma-separated outputs, each a sum such as ``0.5*X0Z1 + Y2 - 0.25``."""
    outputs = []
    for k, text in enumerate(spec.split(","), start=1):
        if not text.strip():
            raise ValueError(f"output {k} of {spec!r} is empty; write outputs such as 'Z0, 0.5*X0Z1 + Y2'")
        outputs.append(_parse_sum(text, k))
    return tuple(outputs)


def _parse_sum(text: str, k: int) -> Observable:
    pos, terms, first = 0, [], True
    while pos < len(text):
        m = _TERM.match(text, pos)
        sign, number, star, word = m.groups()
        if (sign is None and not first) or (number is None and word is None) or (star and word is None):
            rest = text[pos:].strip() or "the end"
            raise ValueError(f"output {k} ({text.strip()!r}): cannot read a term at {rest!r}{_why(text, pos)}; "
                             "terms are [+-][number*]word, a word such as X0Z1 (letters I X Y Z, each with its wire)")
        coeff = float(number) if number is not None else 1.0
        coeff = -coeff if sign == "-" else coeff
        factors = [(int(w), letter) for letter, w in _FACTOR.findall(word or "")]
        terms.append((coeff, factors))
        pos, first = m.end(), False
    try:
        return pauli_sum(terms)
    except ValueError as err:
        raise ValueError(f"output {k} ({text.strip()!r}): {err}") from None


def _why(text: str, pos: int) -> str:
    """The likely mistake where reading stopped: a complex coefficient or a letter that is no Pauli."""
    if re.match(rf"\s*[-+]?\s*{_NUMBER}\s*[jJ]", text[pos:]) or re.match(r"[jJ]", text[pos:]):
        return " (coefficients must be real; a complex one such as 1j makes the output non-Hermitian)"
    letter = re.match(r"\s*[-+]?\s*(?:[\d.eE]+\s*\*?\s*)?([A-Za-z])\s*\d", text[pos:])
    if letter and letter.group(1).upper() not in "IXYZ":
        return f" ({letter.group(1)!r} is not a Pauli letter: I, X, Y or Z)"
    return ""


def check_wires(observables: Sequence[Observable], n_qubits: int) -> None:
    """One line naming an output that reads a wire the circuit does not have."""
    for k, obs in enumerate(observables, start=1):
        outside = [w for w in obs.wires if not 0 <= w < n_qubits]
        if outside:
            raise ValueError(f"output {k} ({obs.label}) reads wire {outside[0]}; "
                             f"the circuit has wires 0..{n_qubits - 1}")


def measurement_groups(observables: Sequence[Observable]) -> tuple[list[dict[int, str]], list[tuple[int, Word]],
                                                                    list[list[tuple[int, float]]]]:
    """How a sampler measures every output's ``measured`` terms: qubit-wise commuting groups.

    Returns ``bases`` (per group, wire -> letter; a wire not named is read in Z),
    ``terms`` (each distinct word once, with its group) and, per output, its
    (term index, coefficient) pairs. A term joins the first group whose letters
    agree with its own on every shared wire (greedy); Z-only terms come first, so
    Z-only outputs are one group read with no basis change.
    """
    words = list(dict.fromkeys(t.word for o in observables for t in o.measured))
    words.sort(key=lambda word: not all(letter == "Z" for _, letter in word))   # stable: Z-only first
    bases: list[dict[int, str]] = []
    group_of: dict[Word, int] = {}
    for word in words:
        for g, basis in enumerate(bases):
            if all(basis.get(w, letter) == letter for w, letter in word):
                break
        else:
            g = len(bases)
            bases.append({})
        bases[g].update(dict(word))
        group_of[word] = g
    index = {word: i for i, word in enumerate(words)}
    per_output = [[(index[t.word], t.coeff) for t in o.measured] for o in observables]
    return bases, [(group_of[word], word) for word in words], per_output
