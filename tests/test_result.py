"""One result schema (sentiment/result.py): the API's dict, the CLI's --json line and the batch rows in every
format carry the same fields under the same names, and a row written and read back is the row."""

import json

import pytest

from sentiment.batch.rows import read_rows, write_rows
from sentiment.labels import LABELS
from sentiment.result import FIELDS, FLAT_FIELDS, ROW_FIELDS, Prediction, Segment, to_row
from sentiment.summary import per_speaker, summarize

CONFIDENCES = {"Negative": 0.7, "Neutral": 0.2, "Positive": 0.1}


def prediction() -> Prediction:
    segments = [Segment(0.0, 2.5, "i did not like it", "Negative", CONFIDENCES, "S1"),
                Segment(2.5, 4.0, "the bus was late", "Neutral", {"Negative": 0.2, "Neutral": 0.7, "Positive": 0.1},
                        "S2")]
    return Prediction("i did not like it the bus was late", "Negative", CONFIDENCES, segments, summarize(segments),
                      per_speaker(segments, 4.0), 4.0, {"stack": "offline", "encoder_runtime": "onnx fp32 on cpu"},
                      {"transcribe": 0.5}, "en", ["This sounds like French"])


def test_the_api_dict_is_the_schema():
    d = prediction().to_dict()
    assert tuple(d) == FIELDS and json.loads(json.dumps(d)) == d  # JSON-ready, nothing else
    assert [s["speaker"] for s in d["segments"]] == ["S1",
                                                     "S2"] and d["speakers"][1]["summary"]["counts"]["Neutral"] == 1
    assert ("path", *FIELDS, "error") == ROW_FIELDS


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_rows_keep_every_field_in_every_format(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="Parquet needs pyarrow: pip install pyarrow")
    rows = [to_row("a.wav", prediction()), to_row("b.wav", ValueError("b.wav is not audio"))]
    assert list(rows[0]) == ["path", *FIELDS] and rows[1] == {"path": "b.wav", "error": "b.wav is not audio"}
    write_rows(rows, tmp_path / f"out{suffix}")
    back = read_rows(tmp_path / f"out{suffix}")
    assert back == rows  # floats as text read back exactly; lists and dicts as JSON


def test_flat_formats_have_one_column_per_label():
    assert [c for c in FLAT_FIELDS if c.startswith("confidences.")] == [f"confidences.{name}" for name in LABELS]
    assert FLAT_FIELDS[0] == "path" and FLAT_FIELDS[-1] == "error"
