#!/usr/bin/env bash
# A user's install, not the checkout: build the wheel, install it into a throwaway virtual environment
# (which reuses the project venv's dependencies through a .pth line, so nothing is downloaded), and from
# a folder outside the checkout run `harness list` (every part must import), `check`, one short run and `report`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# built from a copy of the sources (tracked and new files, not build/ leftovers, which setuptools would reuse)
mkdir "$work/src"
git ls-files -co --exclude-standard -z | xargs -0 tar -cf - | tar -xf - -C "$work/src"
(cd "$work/src" && "$OLDPWD/$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$work/dist" . >/dev/null)
$PY -m venv "$work/venv"
deps=$($PY -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
own=$("$work/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$deps" > "$own/project-deps.pth"
"$work/venv/bin/python" -m pip install -q --no-deps "$work"/dist/*.whl
cd "$work"
where=$("$work/venv/bin/python" -c "import harness, backends; print(harness.__file__, backends.__file__)")
case "$where" in
  "$own"/harness/*" $own"/backends/*) ;;
  *) echo "check_wheel: harness was not imported from the wheel: $where" >&2; exit 1 ;;
esac
"$work/venv/bin/harness" list > list.txt
if grep -qE "cannot load|no \(" list.txt; then
  echo "check_wheel: a part of the installed wheel does not import:" >&2; cat list.txt >&2; exit 1
fi
"$work/venv/bin/harness" check --circuits moons --backends torch,qiskit-shift,default-backprop > check.txt \
  || { cat check.txt >&2; exit 1; }
"$work/venv/bin/harness" run --backend torch --epochs 1 --train-size 10 --test-size 5 --results "$work/results" \
  2> run.txt || { cat run.txt >&2; exit 1; }
"$work/venv/bin/harness" report --results "$work/results" > /dev/null
echo "check_wheel: the wheel installs, lists every part and runs from $work ($(grep -c '' list.txt) listing lines)"
