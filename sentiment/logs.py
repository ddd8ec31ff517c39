"""How much a command says: one setting for the CLI, the app and training.

Libraries draw their own progress bars (transformers' "Loading weights 0/199", the Hub's downloads); on an
ordinary run they are noise between the results, so they show only with ``-v``. Our own bars (a batch of
files, training) stay.
"""

from __future__ import annotations

import logging


def setup_logging(verbose: bool = False, level: int | None = None, fmt: str = "%(message)s") -> None:
    """Log at INFO with ``verbose`` (else ``level``, default WARNING); library progress bars only with it."""
    logging.basicConfig(level=logging.INFO if verbose else (level or logging.WARNING), format=fmt)
    if verbose:
        return
    import huggingface_hub.utils
    import transformers.utils.logging

    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.disable_progress_bars()
