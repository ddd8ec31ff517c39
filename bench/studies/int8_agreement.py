"""Which int8 keeps the offline stack's labels? The bundled all-mpnet-base-v2 and its head on sentiment3's
test split: the fp32 ONNX export quantised (dynamic, weights int8 per channel; or weight-only
int8 in blocks, MatMulNBits, which needs ``pip install onnx-ir``) with different layers left in
fp32, each variant's label agreement with fp32, macro-F1 and encode time. Decides ``INT8_REFUSED`` in
sentiment/runtime/plan.py.

    python -m bench int8_agreement [--limit N]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np
import torch


from sentiment.text.encoder import TextEncoder
from sentiment.text.head import load_head
from sentiment.labels import label_id
from sentiment.stacks import resolve_stack
from sentiment.text.normalize import normalize_text
from training.data import load_manifest, split
from training.evaluate import scores
from testkit import ROOT
from bench.timing import Clock

DECIDES = "sentiment.runtime.plan:INT8_REFUSED"

VARIANTS = {  # name -> MatMul nodes left in fp32 (substring match on the node name), or a weight-only recipe
    "weight-only int8, fp32 compute": "nbits:0",
    "weight-only int8, int8 compute": "nbits:4",
    "all MatMuls int8": [],
    "FFN output fp32": ["/output/dense/"],
    "FFN fp32 (attention int8)": ["/output/dense/", "/intermediate/dense/"],
    "attention fp32 (FFN int8)": ["/attn/"],
    "last 4 layers fp32": [f"/layer.{i}/" for i in (8, 9, 10, 11)],
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--limit", type=int, help="first N test sentences only")
    p.add_argument("--only", help="run only the variants whose name contains this")
    args = p.parse_args(argv)
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    config = resolve_stack("offline", device="cpu")
    head = load_head(config.head)
    test = split(load_manifest(ROOT / "data" / "sentiment3.csv"), "test")[: args.limit]
    texts, truth = [normalize_text(e.text) for e in test], [label_id(e.label) for e in test]
    encoder = TextEncoder(config.encoder, pooling=head.info.pooling, layers=head.info.layers,
                          name=config.encoder_name, adapter=head.adapter, backend="onnx", precision="fp32")
    t0 = Clock()
    ref = head.probabilities(encoder.encode(texts)).argmax(-1).tolist()
    print(f"{'fp32':28s} agreement 100.00%  macro-F1 {scores(truth, ref)['macro_f1']:.4f}  "
          f"{t0.seconds:5.1f} s  ({len(texts)} sentences, onnxruntime {ort.__version__})", flush=True)
    fp32 = encoder.pooled.path
    names = [n.name for n in onnx.load(str(fp32), load_external_data=False).graph.node if n.op_type == "MatMul"]
    with tempfile.TemporaryDirectory() as tmp:
        for variant, keep in VARIANTS.items():
            if args.only and args.only not in variant:
                continue
            out = Path(tmp) / "q.onnx"
            logging.disable(logging.WARNING)
            if isinstance(keep, str):  # MatMulNBits: int8 weights in blocks of 32, dequantised or int8 compute
                from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
                excluded = []
                q = MatMulNBitsQuantizer(str(fp32), bits=8, block_size=32, is_symmetric=True,
                                         accuracy_level=int(keep.split(":")[1]))
                q.process()
                q.model.save_model_to_file(str(out), True)
            else:
                excluded = [n for n in names if any(k in n for k in keep)]
                quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                                 per_channel=True, nodes_to_exclude=excluded)
            logging.disable(logging.NOTSET)
            options = ort.SessionOptions()
            options.intra_op_num_threads = torch.get_num_threads()
            encoder.pooled.session = ort.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
            t0 = Clock()
            labels = head.probabilities(encoder.encode(texts)).argmax(-1).tolist()
            seconds = t0.seconds
            same = float(np.mean(np.array(labels) == np.array(ref)))
            print(f"{variant:28s} agreement {same:7.2%}  macro-F1 {scores(truth, labels)['macro_f1']:.4f}  "
                  f"{seconds:5.1f} s  (fp32 MatMuls kept: {len(excluded)}/{len(names)})", flush=True)
