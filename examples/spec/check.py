"""Run the cases in tests.txt against an implementation of treestat.

usage: python3 check.py COMMAND...
  e.g. python3 check.py /tmp/treestat
       python3 check.py python3 -B ../translated-python/main.py

COMMAND is run in place of 'treestat' (from this directory), and its
stdout, stderr and exit status must match the expected ones byte for byte.
"""

import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_cases(path):
    cases, current, section = [], None, None
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("=== "):
                current = {"name": line[4:], "stdout": "", "stderr": ""}
                cases.append(current)
                section = None
            elif current is None:
                continue
            elif line.startswith("$ ") and section is None:
                current["command"] = line[2:]
            elif line in ("--- stdout", "--- stderr"):
                section = line[4:]
            elif line.startswith("--- exit "):
                current["exit"] = int(line[9:])
                section = "done"
            elif section in ("stdout", "stderr"):
                current[section] += line + "\n"
    return cases


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip())
    impl = " ".join(shlex.quote(a) for a in sys.argv[1:])
    failed = 0
    cases = load_cases(os.path.join(HERE, "tests.txt"))
    for case in cases:
        script = 'treestat() { %s "$@"; }\n%s' % (impl, case["command"])
        p = subprocess.run(["bash", "-c", script], cwd=HERE, capture_output=True)
        got = (p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), p.returncode)
        want = (case["stdout"], case["stderr"], case["exit"])
        if got != want:
            failed += 1
            print("FAIL %s: $ %s" % (case["name"], case["command"]))
            for label, g, w in zip(("stdout", "stderr", "exit"), got, want):
                if g != w:
                    print("  %s: expected %r, got %r" % (label, w, g))
    print("%d of %d cases passed" % (len(cases) - failed, len(cases)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
