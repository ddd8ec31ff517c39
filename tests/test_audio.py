"""Decoding, down-mixing, resampling and every bad input's typed error."""

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone

from sentiment import audio
from sentiment.audio import load_audio
from sentiment.errors import (EmptyAudioError, NoSpeechError, NonFiniteAudioError, TooLongError, TooShortError,
                              UnreadableAudioError)


def peak_hz(wave: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.fft.rfftfreq(wave.size, 1 / SR)[spectrum.argmax()])


def sine(seconds, rate, freq=440.0, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    x = 0.4 * np.sin(2 * np.pi * freq * t)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"),
                                         ("MP3", "MPEG_LAYER_III")])
def test_native_formats_decode_to_16k_mono(tmp_path, fmt, subtype):
    path = tmp_path / f"a.{fmt.lower()}"
    sf.write(path, sine(1.5, 22050), 22050, format=fmt, subtype=subtype)
    wave = load_audio(path)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(wave.size / SR - 1.5) < 0.06  # mp3 adds codec delay
    assert abs(peak_hz(wave) - 440) < 3


@pytest.mark.parametrize("rate,channels", [(8000, 1), (44100, 2), (48000, 6), (16000, 1)])
def test_rates_and_channels(tmp_path, rate, channels):
    path = tmp_path / "x.wav"
    sf.write(path, sine(2.0, rate, channels=channels), rate)
    wave = load_audio(path)
    assert wave.size == 2 * SR
    assert abs(peak_hz(wave) - 440) < 2
    assert 0.35 < np.abs(wave).max() < 0.45  # down-mixed by averaging, not summing


def test_an_odd_rate_is_resampled_and_an_impossible_one_refused():
    wave = load_audio((44_101, sine(2.0, 44_101)))  # coprime with 16 kHz: as 44,100 Hz, not a 5 GB kernel
    assert abs(wave.size - 2 * SR) <= 2 and abs(peak_hz(wave) - 440) < 2
    for rate in (0, 500, 16_793_216):  # the last from a WAV header with one byte changed (test_audio_fuzz)
        with pytest.raises(UnreadableAudioError, match="sample rate"):
            load_audio((rate, sine(1.0, 8000)))


def test_arrays_int16_float64_and_channel_layouts():
    x = sine(1.0, 44100, channels=2)
    from_int16 = load_audio((44100, (x * 32767).astype(np.int16)))
    from_float64 = load_audio((44100, x.astype(np.float64)))
    channels_first = load_audio((44100, x.T.astype(np.float32)))
    assert from_int16.dtype == from_float64.dtype == np.float32
    np.testing.assert_allclose(from_int16, from_float64, atol=1e-3)
    np.testing.assert_allclose(channels_first, from_float64, atol=1e-6)
    assert abs(np.abs(from_int16).max() - 0.4) < 0.02


def test_bytes_input(tmp_path):
    path = tmp_path / "a.flac"
    sf.write(path, sine(1.0, SR), SR)
    np.testing.assert_array_equal(load_audio(path.read_bytes()), load_audio(path))


def test_text_file_renamed_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 50)
    with pytest.raises(UnreadableAudioError, match="notes.wav"):
        load_audio(path)


def test_truncated_flac(tmp_path):
    path = tmp_path / "cut.flac"
    sf.write(path, sine(3.0, SR), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableAudioError, match="damaged or truncated"):
        load_audio(path)


def test_without_ffmpeg_the_error_names_the_supported_formats(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    path = tmp_path / "clip.m4a"
    path.write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 200)
    with pytest.raises(UnreadableAudioError, match="wav, flac, ogg, mp3.*ffmpeg"):
        load_audio(path)


@pytest.mark.skipif(shutil.which("ffmpeg") is None,
                    reason="ffmpeg is not installed (apt-get install ffmpeg, or make test as root)")
def test_other_formats_go_through_ffmpeg(tmp_path):
    src = tmp_path / "a.wav"
    sf.write(src, sine(2.0, 48000, channels=2), 48000)
    dst = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "aac", str(dst)], check=True)
    wave = load_audio(dst)
    assert abs(wave.size / SR - 2.0) < 0.1 and abs(peak_hz(wave) - 440) < 3
    np.testing.assert_allclose(load_audio(dst.read_bytes())[:16000], wave[:16000], atol=1e-4)


@pytest.mark.parametrize("source,error", [
    ((SR, np.zeros(0, np.float32)), EmptyAudioError),
    ((SR, tone(0.05)), TooShortError),
    ((SR, np.zeros(SR, np.float32)), NoSpeechError),
    ((SR, np.full(SR, 1e-5, np.float32)), NoSpeechError),
    ((SR, np.where(np.arange(SR) == 100, np.nan, tone(1.0)).astype(np.float32)), NonFiniteAudioError),
    ((SR, np.array(["a", "b"])), UnreadableAudioError),
    (12345, UnreadableAudioError),
    ("/no/such/file.wav", UnreadableAudioError),
])
def test_bad_inputs_raise_their_typed_error(source, error):
    with pytest.raises(error):
        load_audio(source)


def test_silent_file(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(2 * SR), SR)
    with pytest.raises(NoSpeechError, match="silent"):
        load_audio(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0), SR)
    with pytest.raises(EmptyAudioError):
        load_audio(path)


def test_too_long_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "long.flac"
    sf.write(path, sine(3.0, SR), SR)
    monkeypatch.setattr(audio.sf.SoundFile, "blocks", lambda *a, **k: pytest.fail("decoded a too-long file"))
    with pytest.raises(TooLongError, match="limit is 2.0 s"):
        load_audio(path, max_seconds=2.0)
    with pytest.raises(TooLongError):
        load_audio((SR, tone(3.0)), max_seconds=2.0)


def test_every_audio_error_is_a_value_error():
    for error in (EmptyAudioError, TooShortError, TooLongError, NoSpeechError, NonFiniteAudioError,
                  UnreadableAudioError):
        assert issubclass(error, ValueError)


def test_zero_byte_files_and_bytes_are_empty_and_named(tmp_path):
    from sentiment.audio import NamedBytes
    (tmp_path / "nothing.wav").write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="nothing.wav is empty"):
        load_audio(tmp_path / "nothing.wav")
    with pytest.raises(EmptyAudioError, match="The uploaded data is empty"):
        load_audio(b"")
    with pytest.raises(EmptyAudioError, match="call-7.flac is empty"):
        load_audio(NamedBytes(b"", "call-7.flac"))
