"""Where the time goes: ONNX Runtime's profiler on wav2vec2-base (full size, random weights), per op type.

    python -m bench profile_onnx                 # fp32, one 9 s clip
    python -m bench profile_onnx --precision int8

Run by hand, like bench/speed/mission.py.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
from pathlib import Path

import numpy as np


from testkit.models import make_full_size
from testkit import SHARED

from sentiment.audio import SAMPLE_RATE
from sentiment.transcribers.ctc import CTCTranscriber


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--precision", default="fp32", choices=("fp32", "int8"))
    p.add_argument("--seconds", type=float, default=9.0)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SENTIMENT_CACHE"] = str(Path(tmp) / "cache")
        w2v = make_full_size(SHARED / "models" / "wav2vec2-base-960h", Path(tmp) / "w2v", "Wav2Vec2ForCTC")
        ctc = CTCTranscriber(str(w2v), precision=args.precision)
        options = ort.SessionOptions()
        options.intra_op_num_threads = ctc.onnx.session.get_session_options().intra_op_num_threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "profile")
        session = ort.InferenceSession(str(ctc.onnx.path), options, providers=["CPUExecutionProvider"])
        wave = np.random.default_rng(0).standard_normal((1, int(args.seconds * SAMPLE_RATE))).astype(np.float32)
        session.run(None, {"input_values": wave})  # warm-up, left out below
        for _ in range(args.runs):
            session.run(None, {"input_values": wave})
        events = json.loads(Path(session.end_profiling()).read_text())
    per_op = collections.Counter()
    runs = [e for e in events if e.get("name") == "model_run"][1:]
    first = min(e["ts"] for e in runs)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= first:
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values())
    wall = sum(e["dur"] for e in runs) / len(runs) / 1e6
    print(f"wav2vec2-base, {args.precision}, {args.seconds:g} s clip: {wall:.3f} s per run "
          f"(RTF {wall / args.seconds:.3f})")
    print("| op type | s per run | share |\n|---|---|---|")
    for op, us in per_op.most_common(10):
        print(f"| {op} | {us / len(runs) / 1e6:.3f} | {us / total:.0%} |")
