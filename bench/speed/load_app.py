"""Load the app with concurrent gradio_client clients mixing good and bad inputs (run by hand).

    python -m bench load_app --clients 8 --requests 25

Starts `python app.py` on a free local port (or uses --url), sends clients x requests calls to /predict,
every fourth one a bad input that must come back as an error with its message, and prints failures,
latency percentiles and the server's peak RSS (when it started the server itself).
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from testkit import ROOT
from bench.timing import Clock
from testkit.memory import peak_rss_mb



def bad_inputs(folder: Path) -> list[tuple[Path, str]]:
    (folder / "notes.wav").write_text("not audio at all\n" * 20)
    sf.write(folder / "silence.wav", np.zeros(32000), 16000)
    sf.write(folder / "click.wav", 0.3 * np.ones(400), 16000)
    return [(folder / "notes.wav", "not audio"), (folder / "silence.wav", "silent"), (folder / "click.wav",
                                                                                      "too short")]


def start_server(concurrency: int | None = None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    extra = ["--concurrency", str(concurrency)] if concurrency else []
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            Client(url, verbose=False)
            return proc, url
        except Exception as err:
            if proc.poll() is not None:
                raise RuntimeError("the app exited during start-up") from err
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=25, help="requests per client")
    p.add_argument("--url", help="an app that is already running (default: start one)")
    p.add_argument("--concurrency", type=int, help="the started app's --concurrency (default: the app's)")
    args = p.parse_args(argv)
    goods = sorted((ROOT / "sentiment" / "examples").glob("*.flac"))
    with tempfile.TemporaryDirectory() as tmp:
        bads = bad_inputs(Path(tmp))
        proc, url = (None, args.url) if args.url else start_server(args.concurrency)
        results, lock = [], threading.Lock()

        def worker(k: int) -> None:
            client = Client(url, verbose=False)
            for i in range(args.requests):
                bad = (k + i) % 4 == 3
                path, expected = bads[(k + i) % len(bads)] if bad else (goods[(k + i) % len(goods)], None)
                t0 = Clock()
                try:
                    out = client.predict(handle_file(str(path)), api_name="/predict")
                    ok = not bad and out["label"] in ("Negative", "Neutral", "Positive")
                    note = "" if ok else f"bad input answered: {out.get('label')}"
                except AppError as err:
                    ok, note = bad and expected in str(err), str(err)
                except Exception as err:  # a dead server or transport error is a failure
                    ok, note = False, f"{type(err).__name__}: {err}"
                with lock:
                    results.append((bad, ok, t0.seconds, note))

        t0 = Clock()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = t0.seconds
        rss = peak_rss_mb(proc.pid) if proc else float("nan")
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    good_lat = np.array([r[2] for r in results if not r[0]])
    failures = [r for r in results if not r[1]]
    print(f"{len(results)} requests ({args.clients} clients x {args.requests}) in {wall:.1f} s")
    print(f"good inputs: {sum(not r[0] for r in results)}, failures {sum(not r[1] for r in results if not r[0])}")
    print(f"bad inputs:  {sum(r[0] for r in results)}, answered with the wrong or no message "
          f"{sum(not r[1] for r in results if r[0])}")
    print("latency of good requests (s): p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}".format(
        *np.percentile(good_lat, [50, 90, 99]), good_lat.max()))
    print(f"server peak RSS: {rss:.0f} MB")
    for bad, _, _, note in failures[:10]:
        print(f"  FAILED ({'bad' if bad else 'good'} input): {note}")
    sys.exit(1 if failures else 0)
