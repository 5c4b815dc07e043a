#!/usr/bin/python3
"""Check ONNX files with the onnx package's checker (Debian: python3-onnx).

    /usr/bin/python3 tools/onnx_check.py model.onnx [...]

Runs onnx.checker.check_model with full_check (strict shape inference too) on each file
and prints one line per file: its IR version, opsets, inputs and outputs with their
shapes. Exit 1 on the first file that fails, with the checker's message.
"""
import sys

import onnx


def dims(value_info):
    shape = value_info.type.tensor_type.shape
    return '[' + ', '.join(d.dim_param or str(d.dim_value) for d in shape.dim) + ']'


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in paths:
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception as e:  # the checker's own error types differ across onnx versions
            print(f'{path}: {type(e).__name__}: {e}', file=sys.stderr)
            return 1
        opsets = ', '.join(f'{o.domain or "ai.onnx"} {o.version}' for o in model.opset_import)
        ins = ', '.join(f'{v.name} {dims(v)}' for v in model.graph.input)
        outs = ', '.join(f'{v.name} {dims(v)}' for v in model.graph.output)
        print(f'{path}: ok (onnx {onnx.__version__}, IR {model.ir_version}, opset {opsets}; {len(model.graph.node)} nodes; in: {ins}; out: {outs})')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
