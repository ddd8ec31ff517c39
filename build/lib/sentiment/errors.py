"""Typed errors. Core code raises these; only app.py turns them into gr.Error.

Every message is written for the person who sent the input: it says what is wrong and what to do.
"""


class SentimentError(Exception):
    """Base class of everything this package raises on purpose."""


class AudioError(SentimentError, ValueError):
    """The input cannot be used as speech."""


class UnreadableAudioError(AudioError):
    """Not audio, or a format we cannot decode."""


class EmptyAudioError(AudioError):
    """No samples at all."""


class TooShortError(AudioError):
    """Shorter than the minimum duration."""


class TooLongError(AudioError):
    """Longer than the configured limit."""


class NonFiniteAudioError(AudioError):
    """NaN or infinite samples."""


class NoSpeechError(AudioError):
    """Silence, or nothing the transcriber could turn into words."""


class ModelError(SentimentError, RuntimeError):
    """A model could not be loaded or does not fit the others."""


class ModelUnavailableError(ModelError):
    """A model is neither local nor reachable on the Hub."""


class EncoderMismatchError(ModelError, ValueError):
    """A head was trained on another encoder than the one loaded."""


EXPECTED = (SentimentError, ValueError, OSError)  # OSError: missing files, no network (ConnectionError)


def run_command(main, argv: list[str] | None = None) -> int:
    """Run a command's ``main(argv)``: an expected failure prints one line and exits 2, with its traceback
    only under ``-v`` / ``--verbose``."""
    import sys
    import traceback

    argv = sys.argv[1:] if argv is None else argv
    try:
        main(argv)
        return 0
    except EXPECTED as err:
        if "-v" in argv or "--verbose" in argv:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return 2
