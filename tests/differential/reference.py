#!/usr/bin/env python3
"""Runs a TensorFlow Lite model with the reference interpreter (PyPI `ai-edge-litert`).

Usage: reference.py MODEL OUT_DIR [INPUT ...] [--resolver builtin|ref|xnnpack]

Each INPUT is the data of one model input, in order: a `.npy` file, or raw little-endian
elements of the input's own type (C order, exactly as many as the input's shape holds).

Writes, for every model output i, `OUT_DIR/output_<i>.bin` (raw little-endian elements) and one
line in `OUT_DIR/outputs.txt`: `<numpy dtype> <scale> <zero point> <dim> <dim> ...`.

Exit status: 0 on success; 3 when the interpreter cannot load or run the model (the message
explains why, e.g. a Flex operator); 2 on bad usage or inputs.

Resolvers: `builtin` (default) is TFLite's builtin kernels without the XNNPACK delegate, `ref`
its reference kernels, `xnnpack` the default (builtin kernels plus XNNPACK).
"""
import argparse
import os
import sys

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("out_dir")
    parser.add_argument("inputs", nargs="*")
    parser.add_argument("--resolver", choices=["builtin", "ref", "xnnpack"], default="ref")
    args = parser.parse_args()

    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = {
        "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        "ref": OpResolverType.BUILTIN_REF,
        "xnnpack": OpResolverType.AUTO,
    }[args.resolver]
    try:
        interpreter = Interpreter(model_path=args.model, experimental_op_resolver_type=resolver, num_threads=1)
        interpreter.allocate_tensors()
    except Exception as e:  # the interpreter raises RuntimeError/ValueError for unsupported models
        print(f"reference cannot load {args.model}: {e}", file=sys.stderr)
        return 3

    details = interpreter.get_input_details()
    if len(args.inputs) != len(details):
        print(f"the model has {len(details)} inputs, {len(args.inputs)} given", file=sys.stderr)
        return 2
    for detail, path in zip(details, args.inputs):
        dtype = np.dtype(detail["dtype"]).newbyteorder("<")
        data = np.load(path) if path.endswith(".npy") else np.fromfile(path, dtype=dtype)
        shape = tuple(int(d) for d in detail["shape"])
        if data.size != int(np.prod(shape)):
            print(f"{path}: {data.size} elements for input shape {shape}", file=sys.stderr)
            return 2
        interpreter.set_tensor(detail["index"], data.astype(detail["dtype"]).reshape(shape))
    try:
        interpreter.invoke()
    except Exception as e:
        print(f"reference cannot run {args.model}: {e}", file=sys.stderr)
        return 3

    os.makedirs(args.out_dir, exist_ok=True)
    lines = []
    for i, detail in enumerate(interpreter.get_output_details()):
        value = np.ascontiguousarray(interpreter.get_tensor(detail["index"]))
        value.astype(value.dtype.newbyteorder("<")).tofile(os.path.join(args.out_dir, f"output_{i}.bin"))
        scale, zero_point = detail["quantization"]
        dims = " ".join(str(d) for d in value.shape)
        lines.append(f"{value.dtype.name} {float(scale)!r} {int(zero_point)} {dims}".rstrip())
    with open(os.path.join(args.out_dir, "outputs.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
