"""The app in-process, called over HTTP with gradio_client, on the real offline stack."""

import copy
import csv
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import soundfile as sf
from conftest import ROOT, SR, shared_path, tone
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import app
from ui.evaluation import evaluation_view
from ui.live import LiveSlots, live_view
from sentiment.audio import load_audio
from sentiment.labels import LABELS
from sentiment.result import FIELDS
from sentiment.text.normalize import normalize_text
from sentiment.evaluation import read_metrics


@pytest.fixture(scope="module")
def server(offline_pipe):
    pipe = copy.copy(offline_pipe)  # the session's models, with a shorter limit for this server
    pipe.max_seconds = 20.0
    demo = app.build_app(pipe)
    _, url, _ = app.launch(demo, port=None, prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    return Client(server, verbose=False)


def spoken_clip():
    folder = shared_path("data", "speech", "tts")
    with open(folder / "manifest.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["voice"] == "rms" and not any(c.isdigit() for c in r["text"]))
    return folder / row["audio"], normalize_text(row["text"])


def test_predict_a_spoken_clip(client):
    path, reference = spoken_clip()
    result = client.predict(handle_file(str(path)), api_name="/predict")
    assert tuple(result) == FIELDS
    [segment] = result["segments"]  # a short clip is one segment, the whole of it, as the summary counts it
    assert result["summary"]["counts"][result["label"]] == 1 and segment["label"] == result["label"]
    assert all(result["summary"][pole] in (None, 0) for pole in ("most_negative", "most_positive"))
    words = set(reference.split())
    heard = set(normalize_text(result["transcript"]).split())
    assert len(words & heard) >= 0.8 * len(words), (reference, result["transcript"])
    assert result["label"] in LABELS and list(result["confidences"]) == list(LABELS)
    assert sum(result["confidences"].values()) == pytest.approx(1.0, abs=1e-4)
    assert result["models"]["stack"] == "offline" and result["timings"]["transcribe"] > 0


def test_a_long_recording_has_segments_and_a_summary(client, tmp_path):
    folder = shared_path("data", "speech", "real")
    clips = [load_audio(folder / f"sense_and_sensibility_01_austen_64kb-0{n}.wav") for n in (870, 890, 920)]
    gap = np.zeros(SR // 4, np.float32)
    wave = np.concatenate([x for c in clips for x in (c, gap)])
    assert 15 < wave.size / SR < 20  # segmented (over 15 s), within the test server's 20 s limit
    sf.write(tmp_path / "long.wav", wave, SR)
    result = client.predict(handle_file(str(tmp_path / "long.wav")), api_name="/predict")
    segments, summary = result["segments"], result["summary"]
    assert len(segments) >= 2 and sum(summary["counts"].values()) == len(segments)
    assert summary["seconds"] == pytest.approx(sum(s["end"] - s["start"] for s in segments), abs=0.01)
    assert sum(summary["speaking_time"].values()) == pytest.approx(1.0, abs=1e-3)
    assert all(set(s) == {"start", "end", "text", "label", "confidences", "speaker", "words"} for s in segments)
    named = client.predict(handle_file(str(tmp_path / "long.wav")), "Narrator", api_name="/predict")
    assert {s["speaker"] for s in named["segments"]} == {"Narrator"} == {s["speaker"] for s in named["speakers"]}
    sf.write(tmp_path / "Reader.wav", np.concatenate(clips[1:]), SR)  # her voice, enrolled by a sample
    known = client.predict(handle_file(str(tmp_path / "long.wav")), "", [handle_file(str(tmp_path / "Reader.wav"))],
                           api_name="/predict")
    assert {s["speaker"] for s in known["segments"]} == {"Reader"}
    with pytest.raises(Exception, match="3 speaker names were given but the recording has 1 speaker"):
        client.predict(handle_file(str(tmp_path / "long.wav")), "A,B,C", api_name="/predict")
    assert all(" ".join(w["text"] for w in s["words"]) == s["text"] for s in segments)  # timed words, over the API
    [reader] = result["speakers"]  # one voice, one speaker
    assert reader["speaker"] == "S1" and {s["speaker"] for s in segments} == {"S1"}
    assert reader["summary"]["counts"] == summary["counts"] and 0.8 < reader["share"] <= 1.0


@pytest.mark.parametrize("text,label", [("i love this it is wonderful and i am so happy", "Positive"),
                                        ("this is awful i hate it and it made me angry", "Negative")])
def test_predict_text(client, text, label):
    result = client.predict(text, api_name="/predict_text")
    assert result["label"] == label and result["transcript"] == text and result["duration"] is None


def bad_files(folder):
    (folder / "notes.wav").write_text("this is not audio\n" * 20)
    sf.write(folder / "empty.wav", np.zeros(0), SR)
    sf.write(folder / "silence.wav", np.zeros(2 * SR), SR)
    sf.write(folder / "click.wav", tone(0.05), SR)
    sf.write(folder / "long.flac", tone(25.0), SR)
    return {"notes.wav": "not audio", "empty.wav": "empty", "silence.wav": "silent", "click.wav": "too short",
            "long.flac": "too long"}


def test_bad_inputs_get_their_message_and_the_server_lives_on(client, tmp_path):
    good, _ = spoken_clip()
    for name, message in bad_files(tmp_path).items():
        with pytest.raises(AppError, match=message) as err:
            client.predict(handle_file(str(tmp_path / name)), api_name="/predict")
        assert "Traceback" not in str(err.value) and str(tmp_path) not in str(err.value)
        assert client.predict(handle_file(str(good)), api_name="/predict")["label"] in LABELS
    with pytest.raises(AppError, match="empty"):
        client.predict("  ", api_name="/predict_text")


def test_files_larger_than_the_limit_are_refused(client, tmp_path):
    big = tmp_path / "big.wav"
    sf.write(big, np.zeros(14 * 60 * SR, np.int16), SR, subtype="PCM_16")  # 26.9 MB
    with pytest.raises(Exception, match="(?i)too large|exceeds|maximum"):
        client.predict(handle_file(str(big)), api_name="/predict")


def test_no_file_access_outside_gradio(server):
    for target in ("/etc/passwd", str(ROOT / "app.py"), str(ROOT / "sentiment" / "heads" / "offline.safetensors")):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{server.rstrip('/')}/gradio_api/file={target}")
        assert err.value.code in (403, 404)


def test_only_the_two_endpoints_are_public(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/predict", "/predict_text"}


def test_evaluation_view_reads_the_stack_artefacts():
    text, summary, per_class, plots = evaluation_view("offline", app.ASSETS)
    assert "sentiment3.csv" in text and len(summary) == 2 and len(per_class) == 6 and len(plots) == 5
    assert plots[-2].endswith("reliability.png") and "calibration error" in text
    assert plots[-1].endswith("transfer.png") and "never saw" in text  # leave one source out (issue 19)
    assert "Fine-tuned encoder**: LoRA adapters of rank 8" in text
    tuned = read_metrics(app.ASSETS / "offline").training["finetune"]
    assert f"{tuned['asr_text']['rows']:,} of them spoken" in text  # the transcripts it learnt from, counted
    assert summary[0][0].startswith("text") and 0 < summary[0][3] < 1 and 0 < summary[1][4] < 1  # WER
    assert [row[1] for row in per_class[:3]] == list(LABELS)
    text, summary, per_class, plots = evaluation_view("no-such-stack", app.ASSETS)
    assert "python -m training.run --stack no-such-stack" in text and summary == per_class == plots == []


def test_demo_api_client_without_input_says_what_to_give(capsys):
    import demo_api_client

    with pytest.raises(SystemExit) as exit_:
        demo_api_client.main([])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "give an audio file to analyse, or --text" in err and "not both" not in err
    with pytest.raises(SystemExit):
        demo_api_client.main(["clip.wav", "--text", "hello"])
    assert "not both" in capsys.readouterr().err


def test_demo_api_client(server, capsys, tmp_path):
    import demo_api_client

    from scripts.make_conversations import conversation
    shared_path("data", "speech", "tts")
    wave, _ = conversation(seed=20, seconds=10.0, voices=("slt", "rms"))  # 16.7 s: two voices, over 15 s
    sf.write(tmp_path / "two.wav", wave, SR)
    assert demo_api_client.main([str(tmp_path / "two.wav"), "--url", server]) == 0
    out = capsys.readouterr().out
    assert "speaker S1:" in out and "speaker S2:" in out and " S2  " in out  # the speakers, and segments' column
    path, _ = spoken_clip()
    assert demo_api_client.main([str(path), "--url", server]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] in LABELS and "transcript:" in out
    assert "summary: speaking time Negative" in out and f"1 {out.split()[0]}" in out  # one segment, its label
    assert demo_api_client.main(["--text", "i love it", "--url", server, "--json"]) == 0
    assert '"label": "Positive"' in capsys.readouterr().out
    assert demo_api_client.main([str(ROOT / "README.md"), "--url", server]) == 1
    assert "not audio" in capsys.readouterr().err


def test_live_slots_are_limited_and_free_themselves():
    slots = LiveSlots(1, idle=60.0)
    assert slots.take("a") and slots.take("a")  # the holder keeps its slot
    assert not slots.take("b")  # all taken: the page says so
    slots.release("a")
    assert slots.take("b")
    stale = LiveSlots(1, idle=0.0)  # a slot not fed within `idle` (a closed tab) frees itself
    assert stale.take("a") and stale.take("b")


def test_live_view_lists_utterances_and_warns_when_behind():
    from sentiment.live import LiveSession
    from sentiment.pipeline import Segment

    session = LiveSession()
    assert live_view(session)[0] is None and "nothing yet" in live_view(session)[1]
    session.utterances = [Segment(0.5, 2.0, "I love it.", "Positive", {"Negative": 0.1, "Neutral": 0.1,
                                                                       "Positive": 0.8})]
    session.received, session.started = 2.0, time.monotonic() - 10.0  # 8 s behind
    confidences, text, status = live_view(session)
    assert confidences["Positive"] == pytest.approx(0.8) and "**Positive** (0.80) I love it." in text
    assert "falling behind by 8 s" in status
    assert "behind" not in live_view(session, final=True)[2]
