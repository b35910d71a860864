#!/usr/bin/env python3
"""Times one TensorFlow Lite model on the reference interpreter (PyPI `ai-edge-litert`) for the
native benchmark (`tests/benches/models.rs`), as a long-lived server on stdin/stdout.

Usage: bench_reference.py MODEL [INPUT ...] [--resolver xnnpack|builtin|ref] [--threads N]

Each INPUT is the data of one model input, in order: raw little-endian elements of the input's
own type (C order, exactly as many as the input's shape holds), as `reference.py` takes them.

The model is loaded once, its inputs are set and it is run once; then one line is printed:
    ready <description of the interpreter: resolver, threads, version>
After that, for every line `N` read on stdin, the script runs N inferences (set the inputs,
invoke, read every output: the work of one `Model::run` on our side) and prints one line with the
nanoseconds those N runs took, measured inside Python with `time.perf_counter_ns`, so the cost of
the pipe is not counted. An empty line or the end of stdin ends it.

Exit status: 0 at the end of stdin; 3 when the interpreter cannot load or run the model (a line
`error <why>` is printed first); 2 on bad usage or inputs.

Resolvers: `xnnpack` (default) is TFLite's default op resolver (builtin kernels plus the XNNPACK
delegate), `builtin` the builtin kernels without it, `ref` the reference kernels.
"""
import argparse
import sys
import time

import numpy as np

RESOLVERS = {
    "xnnpack": ("AUTO", "default resolver: builtin kernels + XNNPACK delegate"),
    "builtin": ("BUILTIN_WITHOUT_DEFAULT_DELEGATES", "builtin kernels without XNNPACK"),
    "ref": ("BUILTIN_REF", "reference kernels"),
}


def reply(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("inputs", nargs="*")
    parser.add_argument("--resolver", choices=sorted(RESOLVERS), default="xnnpack")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from ai_edge_litert import interpreter as litert

    resolver_name, resolver_text = RESOLVERS[args.resolver]
    resolver = getattr(litert.OpResolverType, resolver_name)
    try:
        interpreter = litert.Interpreter(
            model_path=args.model, experimental_op_resolver_type=resolver, num_threads=args.threads
        )
        interpreter.allocate_tensors()
    except Exception as e:  # the interpreter raises RuntimeError/ValueError for unsupported models
        reply(f"error cannot load {args.model}: {e}".replace("\n", " "))
        return 3

    details = interpreter.get_input_details()
    if len(args.inputs) != len(details):
        reply(f"error the model has {len(details)} inputs, {len(args.inputs)} given")
        return 2
    inputs = []
    for detail, path in zip(details, args.inputs):
        data = np.fromfile(path, dtype=np.dtype(detail["dtype"]).newbyteorder("<"))
        shape = tuple(int(d) for d in detail["shape"])
        if data.size != int(np.prod(shape)):
            reply(f"error {path}: {data.size} elements for input shape {shape}")
            return 2
        inputs.append((detail["index"], np.ascontiguousarray(data.astype(detail["dtype"]).reshape(shape))))
    outputs = [detail["index"] for detail in interpreter.get_output_details()]

    def run() -> None:
        for index, value in inputs:
            interpreter.set_tensor(index, value)
        interpreter.invoke()
        for index in outputs:
            interpreter.get_tensor(index)

    try:
        run()
    except Exception as e:
        reply(f"error cannot run {args.model}: {e}".replace("\n", " "))
        return 3

    version = getattr(sys.modules.get("ai_edge_litert"), "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as dist_version

            version = dist_version("ai-edge-litert")
        except Exception:
            version = "?"
    reply(f"ready ai-edge-litert {version}, {resolver_text} ({resolver_name}), num_threads={args.threads}")

    for line in sys.stdin:
        line = line.strip()
        if not line:
            break
        n = int(line)
        start = time.perf_counter_ns()
        for _ in range(n):
            run()
        reply(str(time.perf_counter_ns() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
