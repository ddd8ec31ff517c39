"""The benchmarks as one tool: every one listed and runnable by name, the shared timer and memory probe,
their records, and docs/'s figure tables rendered from those records."""

import ast
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

from bench import docs, records
from bench.__main__ import GROUPS, Benchmark, benchmarks, listing, main
from bench.timing import median_seconds, rtf, stopwatch
from testkit.memory import in_child

BENCH = ROOT / "bench"
# Tables in docs/ that hold no measured figures: options, targets, fields, pages.
NOT_FIGURES = {("install.md", "target"), ("models.md", "stack"), ("models.md", "flag"), ("results.md", "field"),
               ("speakers.md", "model"), ("speed.md", "`--precision`"), ("README.md", "topic")}


def test_every_benchmark_is_listed_with_its_group_and_a_study_names_its_constant(capsys):
    found = benchmarks()
    files = {p.stem for g in GROUPS for p in (BENCH / g).glob("*.py") if p.stem != "__init__"}
    helpers = {name for name in files - set(found)}
    assert helpers == {"gpu"}, "every module of a group is a benchmark, or a helper one of them imports"
    assert "bench.speed.gpu" in (BENCH / "speed" / "mission.py").read_text().replace("from bench.speed.gpu",
                                                                                     "bench.speed.gpu")
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name, b in found.items():
        assert re.search(rf"^  {name} +\S", out, re.M), name
        assert b.summary, f"{name} has no docstring"
    for b in found.values():
        if b.group == "studies":
            module, _, attr = b.decides.partition(":")
            target = __import__(module, fromlist=["x"])
            for part in attr.split("."):
                target = getattr(target, part)  # the constant exists
            assert f"decides {b.decides}" in listing(found)


def test_an_unknown_benchmark_is_one_line_and_exit_2():
    out = subprocess.run([sys.executable, "-m", "bench", "nosuch"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and "no benchmark named 'nosuch'" in out.stderr and "Traceback" not in out.stderr


def test_benchmarks_use_one_timer_one_memory_probe_and_public_members_only():
    for path in sorted(BENCH.rglob("*.py")):
        text = path.read_text()
        name = path.relative_to(ROOT)
        assert "sys.path" not in text, f"{name}: python -m bench runs it from the repository root"
        assert not re.search(r"perf_counter|monotonic\(|time\.time\(\) -", text) or path.name == "timing.py", \
            f"{name}: time with bench.timing"
        assert "ru_maxrss" not in text and "VmHWM" not in text, \
            f"{name}: measure memory with testkit.memory"
        assert "python -c" not in text and '"-c"' not in text, f"{name}: a child process is given a function"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                assert isinstance(node.value, ast.Name) and node.value.id == "self", \
                    f"{name}:{node.lineno}: .{node.attr} is private to the product"


def test_the_timer_measures_what_runs_inside_it():
    with stopwatch() as lap:
        sum(range(200_000))
    assert 0 < lap.seconds < 5
    calls = []
    assert median_seconds(lambda: calls.append(1), repeat=3, warmup=2) >= 0
    assert len(calls) == 5 and rtf(2.0, 10.0) == pytest.approx(0.2)


def test_the_memory_probe_sees_a_child_allocate_and_not_the_parent():
    """os.urandom writes every byte it returns, so its pages are resident in the child that calls it."""
    small, base = in_child(os.urandom, 1)
    big, peak = in_child(os.urandom, 300 * 2 ** 20)
    assert len(small) == 1 and len(big) == 300 * 2 ** 20
    assert 250 < peak - base < 1000, (base, peak)


def test_a_record_holds_command_commit_machine_versions_and_figures(tmp_path):
    records.start("example", ["python", "-m", "bench", "example"])
    records.figure("rtf", 0.12)
    records.table("main", ["what", "rtf"], [["ours", 0.12], ["baseline", "0.20"]])
    path = records.write(folder=tmp_path)
    saved = json.loads(path.read_text())
    assert path.name == f"example-{saved['date']}.json" and saved["command"][-1] == "example"
    assert saved["machine"]["cores"] >= 1 and saved["machine"]["cpu"] and "torch" in saved["versions"]
    assert saved["figures"] == {"rtf": 0.12} and saved["tables"]["main"]["rows"][1] == ["baseline", "0.20"]
    assert saved["commit"] is None or re.fullmatch(r"[0-9a-f]{7,}(-dirty)?", saved["commit"])


def test_record_flag_writes_what_a_benchmark_printed_as_tables(tmp_path, monkeypatch, capsys):
    (tmp_path / "tiny_bench.py").write_text(
        '"""A benchmark that prints a table."""\n\ndef main(argv):\n'
        '    print(f"{len(argv)} options")\n    print("| what | rtf |\\n|---|---|\\n| ours | 0.12 |")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("bench.__main__.benchmarks",
                        lambda: {"tiny": Benchmark("tiny", "speed", "tiny_bench", "A benchmark.", None)})
    monkeypatch.setattr(records, "RESULTS", tmp_path)
    assert main(["--record", "tiny", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "| ours | 0.12 |" in out  # still printed
    saved = records.read(next(tmp_path.glob("tiny-*.json")))
    assert saved["command"] == ["python", "-m", "bench", "tiny", "--fast"]
    assert saved["tables"]["main"] == {"columns": ["what", "rtf"], "rows": [["ours", "0.12"]]}
    assert saved["notes"] == ["1 options"]


def test_every_figure_table_in_the_docs_comes_from_a_record_and_matches_it():
    assert docs.stale() == [], "python -m bench docs rewrites the tables from bench/results"
    for page in docs.pages():
        marked, text = set(), page.read_text(encoding="utf-8")
        for m in docs.MARKER.finditer(text):
            marked.add(m.start("body"))
        lines = text.splitlines(keepends=True)
        at = 0
        for i, line in enumerate(lines):
            if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
                first = line.strip("| \n").split(" |")[0]
                assert (page.name, first) in NOT_FIGURES or at in marked, \
                    f"{page.name}:{i + 1}: a figure table without its record ({first!r})"
            at += len(line)


def test_a_changed_record_makes_its_table_stale(tmp_path):
    for path in records.RESULTS.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    assert docs.stale(tmp_path) == []
    target = tmp_path / "offline-2026-12-07.json"
    record = json.loads(target.read_text())
    record["tables"]["docs"]["rows"][0][1] = "0.999"
    target.write_text(json.dumps(record))
    assert "docs/speed.md" in docs.stale(tmp_path)
    with pytest.raises(ValueError, match="no record"):
        docs.refreshed("<!-- bench: nosuch-2026-01-01 main -->\n| a |\n<!-- /bench -->", tmp_path)


def test_records_in_results_are_all_json_with_their_command():
    assert not list(records.RESULTS.glob("*.txt")), "records are JSON"
    for path in records.RESULTS.glob("*.json"):
        r = records.read(path)
        assert {"name", "command", "date", "machine", "figures", "tables"} <= set(r), path.name
        assert path.name == f"{r['name']}-{r['date']}.json"
        assert r["command"] or r["notes"], f"{path.name} names neither its command nor where it came from"
