"""Call the app's predict endpoint with gradio_client and print the result.

    python demo_api_client.py clip.wav                         # the local app (python app.py)
    python demo_api_client.py clip.wav --url user/space-name   # a Hugging Face Space, or any app URL
    python demo_api_client.py --text "what a lovely day"       # the predict_text endpoint
"""

import argparse
import json
import sys

from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("audio", nargs="?", help="audio file to analyse (wav, flac, ogg, mp3, ...)")
    p.add_argument("--text", help="analyse this transcript instead of an audio file")
    p.add_argument("--url", default="http://127.0.0.1:7860/", help="app URL or Space id (default: the local app)")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = p.parse_args(argv)
    if not args.audio and not args.text:
        p.error("give an audio file to analyse, or --text \"some words\" (see --help)")
    if args.audio and args.text:
        p.error("give an audio file or --text, not both")
    try:
        client = Client(args.url, verbose=False)
    except Exception as err:  # connection refused, unknown Space, ...
        print(f"error: cannot reach the app at {args.url}: {err}", file=sys.stderr)
        return 2
    try:
        if args.text:
            result = client.predict(args.text, api_name="/predict_text")
        else:
            result = client.predict(handle_file(args.audio), api_name="/predict")
    except AppError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['label']}  " + "  ".join(f"{k} {v:.2f}" for k, v in result["confidences"].items()))
    print(f"transcript: {result['transcript']}")
    for s in result["segments"]:
        print(f"  {s['start']:7.2f}-{s['end']:7.2f}  {s.get('speaker') or '':3} {s['label']:<8} {s['text']}")
    if result.get("summary"):
        print(summary_line(result["summary"], result["segments"]))
    for who in result.get("speakers") or []:
        print(f"speaker {who['speaker']}: {who['label']} ({who['confidences'][who['label']]:.2f}), "
              f"{who['seconds']:.1f} s = {who['share']:.0%} of the recording; "
              + summary_line(who["summary"], result["segments"]).removeprefix("summary: "))
    print(f"models: {result['models']}")
    return 0


def summary_line(summary: dict, segments: list[dict]) -> str:
    """Speaking time and segments per label, and the strongest segment of each pole."""
    shares = "  ".join(f"{k} {v:.0%}" for k, v in summary["speaking_time"].items())
    counts = " / ".join(f"{v} {k}" for k, v in summary["counts"].items())
    line = f"summary: speaking time {shares}; segments {counts}"
    for pole in ("most_negative", "most_positive"):
        i = summary[pole]
        if i is not None and segments:
            s = segments[i]
            line += f"\n  {pole.replace('_', ' ')}: {s['start']:.1f}-{s['end']:.1f} s {s['text']}"
    return line


if __name__ == "__main__":
    sys.exit(main())
