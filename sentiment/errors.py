"""Typed errors, and the one place that turns an expected failure into the words a person reads: the CLI,
training, the Ray rows and the app (``ui/page.py`` wraps it in ``gr.Error``) all call ``message``.

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


class SpeakerNamesError(SentimentError, ValueError):
    """More speaker names than the recording has speakers."""


class ModelError(SentimentError, RuntimeError):
    """A model could not be loaded or does not fit the others."""


class ModelUnavailableError(ModelError):
    """A model is neither local nor reachable on the Hub."""


class EncoderMismatchError(ModelError, ValueError):
    """A head was trained on another encoder than the one loaded."""


class MissingDependencyError(SentimentError, RuntimeError):
    """An optional part is not installed (Ray for ``--engine ray``); the message says how to install it."""


EXPECTED = (SentimentError, ValueError, OSError)  # OSError: missing files, no network (ConnectionError)


def message(err: BaseException) -> str:
    """What a person reads for ``err``, the same wherever it surfaces. An OSError from below us (a file
    that vanished, a folder given as a file, the network) is named by what it is and the file it was about."""
    if isinstance(err, SentimentError) or not isinstance(err, OSError):
        return str(err) or type(err).__name__
    what = {FileNotFoundError: "No such file", IsADirectoryError: "A folder, not a file",
            PermissionError: "Not allowed to read"}.get(type(err))
    if what and err.filename:
        return f"{what}: {err.filename}"
    return err.strerror or str(err) or type(err).__name__


def run_command(main, argv: list[str] | None = None) -> int:
    """Run a command's ``main(argv)``: an expected failure prints ``error: <message>`` and exits 2, with its
    traceback only under ``-v`` / ``--verbose``; an int that ``main`` returns is the exit status."""
    import sys
    import traceback

    argv = sys.argv[1:] if argv is None else argv
    try:
        status = main(argv)
        return status if isinstance(status, int) else 0
    except SystemExit as done:  # argparse: --help (0), a bad option's value (2, its line already printed)
        return done.code if isinstance(done.code, int) else 2
    except EXPECTED as err:
        if "-v" in argv or "--verbose" in argv:
            traceback.print_exc()
        print(f"error: {message(err)}", file=sys.stderr)
        return 2
