"""Speech sentiment in the browser and over HTTP (Gradio).

    python app.py [--host 127.0.0.1] [--port 7860] [--stack auto|slue|offline] [--share] [model options]

The models are loaded once at start-up. Endpoints for gradio_client: ``predict`` (one audio file in, a
JSON-ready dict out) and ``predict_text`` (a transcript in, the same dict out). The page's parts live in
``ui/``: handlers and error messages (``page``), the Live tab (``live``), the Evaluation tab (``evaluation``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

import sentiment
from sentiment.errors import run_command
from sentiment.logs import setup_logging
from sentiment.registry import model_options, speaker_options
from sentiment.stacks import EXAMPLES_DIR
from ui.evaluation import evaluation_tab
from ui.live import live_tab
from ui.options import CONCURRENCY, parser
from ui.page import SEGMENT_COLUMNS, handlers, speaker_fields

ASSETS = Path(__file__).resolve().parent / "assets"
MAX_FILE_SIZE = "25mb"  # about 13 minutes of 16-bit mono wav at 16 kHz
QUEUE_SIZE = 64
log = logging.getLogger("app")


def build_app(pipe: sentiment.SentimentPipeline) -> gr.Blocks:
    stack = pipe.models["stack"]

    analyse, predict, predict_text = handlers(pipe)
    with gr.Blocks(title="Speech sentiment", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Speech sentiment\nUpload or record English speech: get the transcript and whether it "
                    "sounds **Negative**, **Neutral** or **Positive**.")
        with gr.Tab("Analyse"):
            with gr.Row():
                with gr.Column():
                    audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech",
                                     elem_id="speech")
                    names, samples = speaker_fields()
                    button = gr.Button("Analyse", variant="primary", elem_id="analyse")
                    gr.Examples([[str(p)] for p in sorted(EXAMPLES_DIR.glob("*.flac"))], inputs=audio,
                                label="Examples (synthesised from sentences written for this app)")
                with gr.Column():
                    label = gr.Label(num_top_classes=3, label="Sentiment", elem_id="sentiment")
                    transcript = gr.Textbox(label="Transcript", lines=3, interactive=False, elem_id="transcript")
                    stack_info = gr.Markdown(f"Stack: **{stack}** ({pipe.models['transcriber']} → "
                                             f"{pipe.models['encoder']})")
                    files = gr.File(label="Downloads: the result (JSON, CSV), subtitles (SRT, VTT), a report to "
                                          "share (HTML)", file_count="multiple", interactive=False, visible=False,
                                    elem_id="downloads")
            timeline = gr.Plot(label="Sentiment over time", visible=False, elem_id="timeline")
            summary_box = gr.Markdown(visible=False, elem_id="summary")
            segments = gr.Dataframe(headers=SEGMENT_COLUMNS, label="Segments", visible=False, interactive=False,
                                    wrap=True, elem_id="segments",
                                    column_widths=["8%", "9%", "9%", "10%", "10%", "54%"])
            button.click(analyse, [audio, names, samples],
                         [label, transcript, timeline, summary_box, segments, stack_info, files],
                         api_visibility="private")
        with gr.Tab("Live", elem_id="live"):
            live_tab(pipe)
        with gr.Tab("Evaluation", elem_id="evaluation"):
            evaluation_tab(stack, ASSETS, pipe.models["head"])
        with gr.Row(visible=False):  # API-only components: raw file in, JSON out
            api_file, api_text, api_out = gr.File(type="filepath"), gr.Textbox(), gr.JSON()
            api_names, api_samples = gr.Textbox(value=""), gr.File(file_count="multiple", type="filepath", value=None)
            api_button = gr.Button()
        api_button.click(predict, [api_file, api_names, api_samples], api_out, api_name="predict")
        api_text.submit(predict_text, api_text, api_out, api_name="predict_text")
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
           concurrency: int = CONCURRENCY, **kwargs):
    """Queue with a concurrency limit, a file size limit, and no file access beyond Gradio's own."""
    demo.queue(default_concurrency_limit=concurrency, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_FILE_SIZE,
                       allowed_paths=[], show_error=True, footer_links=["api"], **kwargs)


def main(argv=None) -> None:
    args = parser(__doc__).parse_args(argv)
    setup_logging(args.verbose, level=logging.INFO, fmt="%(asctime)s %(name)s %(message)s")
    pipe = sentiment.load_pipeline(max_seconds=args.max_seconds, options=model_options(args),
                                   speakers=speaker_options(args))
    log.info("serving the %s stack: %s", pipe.models["stack"], pipe.models)
    launch(build_app(pipe), host=args.host, port=args.port, share=args.share, concurrency=args.concurrency)


if __name__ == "__main__":
    raise SystemExit(run_command(main))  # no network, no head, bad option: one line, exit 2
