#!/usr/bin/env python3
"""Checks the engine's unit-test models against the reference interpreter.

    RUNE_DUMP_MODELS=/tmp/dump cargo test -p rune-runtime --features tract --lib tract::tests -- --test-threads=1
    python check_unit_models.py /tmp/dump [--resolver ref|builtin|xnnpack]

Every unit test that runs a generated model writes `mNNN/model.tflite`, its inputs `inK.bin` and
the engine's outputs `oursK.bin` under the dump directory. This script runs each model through
`reference.py` and prints the largest difference per output; it exits with status 1 when one is
above 1e-5 (absolute).
"""
import argparse
import glob
import os
import subprocess
import sys

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump_dir")
    parser.add_argument("--resolver", default="ref")
    args = parser.parse_args()
    reference = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.py")
    failed = False
    for case in sorted(glob.glob(os.path.join(args.dump_dir, "m*"))):
        inputs = sorted(glob.glob(os.path.join(case, "in*.bin")))
        out_dir = os.path.join(case, "reference")
        run = subprocess.run(
            [sys.executable, reference, os.path.join(case, "model.tflite"), out_dir, *inputs, "--resolver", args.resolver],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            print(f"SKIP {os.path.basename(case)}: {run.stderr.strip().splitlines()[-1:]}")
            continue
        results = []
        worst = 0.0
        with open(os.path.join(out_dir, "outputs.txt")) as f:
            lines = [line for line in f.read().split("\n") if line]
        for i, line in enumerate(lines):
            dtype = np.dtype(line.split()[0])
            ref = np.fromfile(os.path.join(out_dir, f"output_{i}.bin"), dtype).astype(np.float64)
            ours = np.fromfile(os.path.join(case, f"ours{i}.bin"), dtype).astype(np.float64)
            diff = float(np.abs(ref - ours).max()) if ref.size and ref.size == ours.size else float("inf")
            worst = max(worst, diff)
            results.append(f"out{i} {dtype} max|Δ| {diff:.3g}")
        ok = worst <= 1e-5
        failed |= not ok
        print(f"{'OK  ' if ok else 'DIFF'} {os.path.basename(case)}: {'; '.join(results)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
