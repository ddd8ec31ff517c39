"""Batch prediction on Ray Data (`--engine ray`), on a local Ray with two CPUs: the same rows as the
single-process CLI on real recordings, one row per input with bad files' errors, and resume after a crash."""

import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT, shared_path

from sentiment import cli
from sentiment.cli import main
from sentiment.batch.rows import partial_path, read_rows
from sentiment.text.normalize import normalize_text


def same_words(a: str | None, b: str | None) -> bool:
    """The same words; the punctuation may differ. An actor runs with OMP_NUM_THREADS=1, and that alone
    moves Whisper's arithmetic in the last bits: on one LibriVox clip it writes "woman he ... was?" for
    "woman, he ... was." (`OMP_NUM_THREADS=1 python -m sentiment predict CLIP` against plain)."""
    return normalize_text(a or "") == normalize_text(b or "")

pytestmark = pytest.mark.slow  # starts a local Ray

HEAD = ROOT / "sentiment" / "heads" / "offline.safetensors"


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray", reason="needs Ray Data: pip install -r requirements-ray.txt")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Six real recordings from ../shared, an empty file and a corrupt one."""
    real = sorted(shared_path("data", "speech", "real").glob("*.wav"))[:6]
    out = tmp_path_factory.mktemp("archive")
    for p in real:
        shutil.copy(p, out / p.name)
    (out / "empty.wav").write_bytes(b"")
    (out / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(40)))
    return out


def run(*args) -> int:
    return main(["predict", *map(str, args), "--stack", "offline", "--head", str(HEAD), "--device", "cpu",
                 "--batch-size", "2"])


def by_path(path):
    return {r["path"]: r for r in read_rows(path)}


@pytest.fixture(scope="module")
def single_process(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    assert run(folder, "-o", out) == 1  # two bad files
    return by_path(out)


def test_ray_rows_equal_the_single_process_cli(ray_local, folder, single_process, tmp_path):
    out = tmp_path / "ray.parquet"
    assert run(folder, "-o", out, "--engine", "ray", "--workers", "2") == 1
    rows = by_path(out)
    assert list(rows) == list(single_process)  # one row per input, in the input order
    good = [p for p, r in rows.items() if "error" not in r]
    assert len(good) == 6
    for path in good:
        ours, theirs = rows[path], single_process[path]
        assert ours["label"] == theirs["label"] and same_words(ours["transcript"], theirs["transcript"])
        exact = ours["transcript"] == theirs["transcript"]  # else a comma moved the text model's input
        assert ours["confidences"] == pytest.approx(theirs["confidences"], abs=1e-4 if exact else 0.1)
        assert set(ours) == set(theirs) and ours["models"] == theirs["models"]  # one schema, local or Ray
    assert any("sense" in rows[p]["transcript"] or "dashwood" in rows[p]["transcript"].lower() for p in good)


def test_bad_files_get_their_error_and_the_run_goes_on(ray_local, folder, single_process, tmp_path):
    out = tmp_path / "ray.csv"
    run(folder, folder / "missing.wav", "-o", out, "--engine", "ray")
    rows = by_path(out)
    assert len(rows) == 9 and sum("error" in r for r in rows.values()) == 3
    assert "empty" in rows[str(folder / "empty.wav")]["error"].lower()
    assert rows[str(folder / "corrupt.wav")]["error"] == single_process[str(folder / "corrupt.wav")]["error"]
    assert "No such audio file" in rows[str(folder / "missing.wav")]["error"]


def test_the_same_bad_input_reads_the_same_everywhere(ray_local, folder, single_process, offline_pipe, tmp_path):
    """A corrupt file through the CLI, --engine ray, the HTTP API and training.run's pipeline evaluation: one
    message (errors.message), word for word."""
    import csv

    from gradio_client import Client, handle_file

    import app
    from training import run as training_run

    bad = folder / "corrupt.wav"
    expected = single_process[str(bad)]["error"]
    assert "corrupt.wav" in expected
    out = tmp_path / "ray.jsonl"
    run(bad, "-o", out, "--engine", "ray", "--workers", "1")
    assert by_path(out)[str(bad)]["error"] == expected
    demo = app.build_app(offline_pipe)
    _, url, _ = app.launch(demo, port=None, prevent_thread_lock=True, quiet=True)
    try:
        with pytest.raises(Exception, match="corrupt") as raised:
            Client(url, verbose=False).predict(handle_file(str(bad)), api_name="/predict")
    finally:
        demo.close()
    assert expected.replace(str(bad), "") in str(raised.value)  # the API names the upload, not our path
    shutil.copy(bad, tmp_path / "corrupt.wav")
    good = next(folder / Path(p).name for p, r in single_process.items() if "error" not in r)
    shutil.copy(good, tmp_path / good.name)
    data, speech = tmp_path / "text.csv", tmp_path / "speech.csv"
    data.write_text("text,label,split\n" + "".join(f"{t} {i},{lab},{s}\n" for i in range(2) for s in ("train", "dev",
                                                                                                      "test")
                    for t, lab in (("what a lovely day", "Positive"), ("this is awful", "Negative"),
                                   ("the bus leaves at noon", "Neutral"))))
    speech.write_text(f"audio,text,label\ncorrupt.wav,this is awful,Negative\n{good.name},a reading,Neutral\n")
    training_run.main(["--stack", "offline", "--data", str(data), "--speech", str(speech), "--assets", str(tmp_path),
                       "--heads-dir", str(tmp_path), "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "2"])
    with open(tmp_path / "offline" / "pipeline_predictions.csv", newline="") as f:
        assert [r["error"] for r in csv.DictReader(f) if r["error"]] == [expected]


def test_an_interrupted_run_resumes_to_the_same_output(ray_local, folder, single_process, tmp_path,
                                                       monkeypatch, capsys):
    out = tmp_path / "resumed.jsonl"
    calls, append = [], cli.append_partial

    def crash_after_two(output, rows):
        append(output, rows)
        calls.append(len(rows))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the machine goes down after two blocks were written

    monkeypatch.setattr(cli, "append_partial", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        run(folder, "-o", out, "--engine", "ray")
    written = sum(calls)
    assert not out.exists() and len(read_rows(partial_path(out))) == written < 8
    monkeypatch.setattr(cli, "append_partial", append)
    capsys.readouterr()
    run(folder, "-o", out, "--engine", "ray")
    assert f"{written} of 8 inputs already have a result" in capsys.readouterr().err
    rows = by_path(out)
    assert not partial_path(out).exists() and list(rows) == list(single_process)
    for p, r in rows.items():
        assert r.get("label") == single_process[p].get("label")
        assert same_words(r.get("transcript"), single_process[p].get("transcript"))


def test_without_ray_the_engine_says_how_to_install_it(folder, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert run(folder / "empty.wav", "--engine", "ray") == 2
    assert "pip install -r requirements-ray.txt" in capsys.readouterr().err


def test_training_evaluates_the_pipeline_on_ray_as_it_does_locally(ray_local, tiny_bert, tiny_ctc, tmp_path):
    from test_training import make_slue

    from training import run as training_run

    slue = make_slue(tmp_path / "slue", {"fine-tune": 6, "dev": 3, "test": 4})
    metrics = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        metrics[engine] = training_run.main([
            "--stack", "slue", "--slue-dir", str(slue), "--encoder", str(tiny_bert), "--asr-model", str(tiny_ctc),
            "--device", "cpu", "--assets", str(out), "--heads-dir", str(out), "--cache-dir", str(tmp_path / "cache"),
            "--max-epochs", "3", "--engine", engine])
    local, ray = (metrics[e].pipeline for e in ("local", "ray"))
    assert local["n"] + local["failed"] == 12
    assert ray["confusion"] == local["confusion"]
    for key in ("n", "failed", "accuracy", "macro_f1", "wer"):
        assert ray[key] == pytest.approx(local[key]), key
    assert read_rows_csv(tmp_path / "ray" / "slue" / "pipeline_predictions.csv") == \
        read_rows_csv(tmp_path / "local" / "slue" / "pipeline_predictions.csv")


def read_rows_csv(path):
    import csv
    with open(path, newline="") as f:
        return [{k: (round(float(v), 4) if k.startswith("p_") and v else v) for k, v in r.items()}
                for r in csv.DictReader(f)]
