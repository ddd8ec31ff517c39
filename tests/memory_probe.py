"""Run in a fresh process by test_fullsize: transcribe 2 and then 6 minutes, report peak RSS after each."""

import json
import resource
import sys

import numpy as np

from sentiment.transcribers.ctc import CTCTranscriber


def main(model: str) -> None:
    transcriber = CTCTranscriber(model)
    rng = np.random.default_rng(0)
    report = {}
    for minutes in (2, 6):
        wave = (0.1 * rng.standard_normal(minutes * 60 * 16000)).astype(np.float32)
        ids = transcriber.frame_ids([wave], transcriber._logits)[0]
        report[minutes] = {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                           "frames": len(ids), "expected_frames": transcriber.num_frames(wave.size)}
        del wave, ids
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
