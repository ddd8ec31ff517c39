"""The Evaluation tab: what training wrote for the stack (sentiment/evaluation.py, the one definition of that
file), as tables and plots."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from sentiment.labels import LABELS
from sentiment.evaluation import PLOTS, read_metrics


def evaluation_view(stack: str, assets: Path, head: str = "") -> tuple[str, list[list], list[list], list[str]]:
    """(description, summary rows, per-class rows, plot paths) from ``assets/<stack>/``, or how to produce
    them. ``head``: the loaded head's description (``SentimentPipeline.models['head']``)."""
    folder = Path(assets) / stack
    m = read_metrics(folder)
    if m is None:
        return (f"No evaluation for the **{stack}** stack yet. Produce it with "
                f"`python -m training.run --stack {stack}` (see the README).", [], [], [])
    runs = m.runs()
    summary = [[name, s["n"], round(s["accuracy"], 3), round(s["macro_f1"], 3),
                round(s["wer"], 3) if "wer" in s else "—"] for name, s in runs]
    per_class = [[name, label, *(round(s["per_class"][label][k], 3) for k in ("precision", "recall", "f1")),
                  s["per_class"][label]["support"]] for name, s in runs for label in LABELS]
    base = m.majority_baseline
    text = (f"**Data**: {m.data['source']} · **transcriber**: {m.models['transcriber']} · "
            f"**encoder**: {m.models['encoder']} ({m.models['pooling']} pooling of layers "
            f"{m.models['layers']}) · **head**: {head or 'hidden → units → 3'}, kept at epoch "
            f"{m.training['best_epoch']} of its training on {'frozen ' if 'finetune' in m.training else ''}"
            "features.\n\n"
            f"Always answering {base['label']} would score accuracy {base['accuracy']:.3f}, "
            f"macro-F1 {base['macro_f1']:.3f}. Macro-F1 is the figure that counts (SLUE's metric).")
    if m.pipeline and "text_same_clips" in m.pipeline:
        text += (f" On the spoken clips' reference text the head scores macro-F1 "
                 f"{m.pipeline['text_same_clips']['macro_f1']:.3f}: the gap to the pipeline is what "
                 "transcription errors cost.")
    tuned = m.training.get("finetune")
    if tuned:
        best = tuned["history"][tuned["best_epoch"] - 1]
        text += (f"\n\n**Fine-tuned encoder**: LoRA adapters of rank {tuned['rank']} on its attention "
                 f"({tuned['adapter_parameters']:,} parameters, stored with the head and merged into the bundled "
                 f"weights at load), trained with the head for {len(tuned['history'])} epochs; kept epoch "
                 f"{tuned['best_epoch']} (dev macro-F1 {best['dev_macro_f1']:.3f}).")
        if tuned.get("asr_text", {}).get("rows"):
            text += (f" Besides the written sentences it learnt from {tuned['asr_text']['rows']:,} of them spoken by "
                     "a speech synthesiser and transcribed by the stack's own Whisper, errors included: in the "
                     "product it reads transcripts, not sentences.")
    if (folder / "transfer.png").is_file():
        text += ("\n\n**Text it never saw**: for the last plot each recipe (frozen encoder, fine-tuned) was "
                 "trained without one source of the data and tested on that source, for each source: a fairer "
                 "guess of how it does on your text than the test split.")
    if m.calibration:
        c = m.calibration
        text += (f"\n\n**Confidences**: expected calibration error on the test split "
                 f"{c['test_before']['ece']:.3f} as trained, **{c['test_after']['ece']:.3f}** with the logits "
                 f"divided by {c['temperature']:.2f} (temperature scaling, fitted on dev; the labels do not "
                 "change). At 0, labels given with 80 % confidence would be right 80 % of the time; the "
                 "reliability diagram below shows how close each confidence comes.")
    return text, summary, per_class, [str(folder / n) for n in PLOTS if (folder / n).is_file()]


def evaluation_tab(stack: str, assets: Path, head: str = "") -> None:
    """The tab's components, inside the caller's ``gr.Tab``."""
    description, summary, per_class, plots = evaluation_view(stack, assets, head)
    gr.Markdown(f"## How the {stack} stack was evaluated\n{description}")
    if summary:
        gr.Dataframe(value=summary, headers=["evaluation", "n", "accuracy", "macro-F1", "WER"],
                     interactive=False, label="Metrics")
        gr.Dataframe(value=per_class, headers=["evaluation", "label", "precision", "recall", "F1", "support"],
                     interactive=False, label="Per class")
    for path in plots:
        gr.Image(path, label=Path(path).stem.replace("_", " "), interactive=False, buttons=[])
