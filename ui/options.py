"""The app's command line (``python app.py --help``), each value checked before any model is loaded."""

from __future__ import annotations

import argparse
import os
import socket

from sentiment.registry import Parser, add_model_options, add_speaker_options, positive_float, positive_int

MAX_SECONDS = 900.0
# Requests computed at once; the rest wait in the queue. Two: Whisper (CTranslate2) and the encoder (ONNX
# Runtime) release the GIL, so a second request overlaps with the first. Measured with
# python -m bench load_app (8 clients x 25 requests, 2 cores): 64.6 s with two, 76.4 s with one.
CONCURRENCY = 2

def host(value: str) -> str:
    """--host: an address this machine can listen on, checked before any model is loaded."""
    try:
        socket.getaddrinfo(value, None)
    except (OSError, UnicodeError):
        raise argparse.ArgumentTypeError(f"{value!r}: not an address this machine knows") from None
    return value


def port(value: str) -> int:
    n = positive_int(value)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"{value!r}: a port is at most 65535")
    return n


def parser(description: str) -> argparse.ArgumentParser:
    """app.py's options: where it listens, how much it takes on, and the model and speaker options."""
    p = Parser(prog="python app.py", description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", type=host, default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1, or GRADIO_SERVER_NAME as on Spaces; 0.0.0.0 for all)")
    p.add_argument("--port", type=port, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                   help="port (default 7860, or GRADIO_SERVER_PORT)")
    p.add_argument("--share", action="store_true", help="also open a temporary public gradio.live link")
    p.add_argument("--concurrency", type=positive_int, default=CONCURRENCY,
                   help=f"requests computed at once (default {CONCURRENCY}; more only with more cores or a GPU)")
    p.add_argument("--max-seconds", type=positive_float, default=MAX_SECONDS, help=f"longest recording accepted "
                   f"(default {MAX_SECONDS:.0f})")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the traceback of a failed start, and the libraries' progress bars")
    add_model_options(p)
    add_speaker_options(p)
    return p
