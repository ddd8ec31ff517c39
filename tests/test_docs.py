"""The README a newcomer reads and the docs/ it points to: every relative link resolves (files and #anchors),
the README stays short, and CI runs the test command the README gives."""

import re
from pathlib import Path

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+\s+(.+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page):
    links = LINK.findall(page.read_text(encoding="utf-8"))
    assert page.name != "README.md" or len(links) >= 10  # the README is the map: it links every page
    for link in links:
        if re.match(r"[a-z]+:", link):  # http(s):, mailto:: not followed (no network here)
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link} -> {target} does not exist"
        if anchor:
            assert anchor in anchors(target), f"{page.name}: no heading #{anchor} in {target.name}"


def test_every_docs_page_is_linked_from_the_readme():
    readme = ROOT / "README.md"
    linked = {(readme.parent / link.partition("#")[0]).resolve() for link in LINK.findall(readme.read_text())}
    assert {p.resolve() for p in PAGES[1:]} <= linked


def test_readme_is_short_and_ci_runs_its_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    assert "make test" in readme and "make app" in readme
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert any(re.match(r"make (\S+=\S+ )*test\b", line) for line in ci), ci


def test_make_targets_the_docs_name_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)", "".join(p.read_text(encoding="utf-8") for p in PAGES)))
    assert named and named <= targets, named - targets


def test_the_readme_command_lines_parse_and_name_files_that_exist():
    """Each `python -m sentiment` line of the README, as written: its options parse and its inputs exist
    (the commands themselves are run by test_cli and test_offline_stack on the same clips)."""
    import shlex

    from sentiment.cli import _parser
    text = (ROOT / "README.md").read_text()
    env = dict(re.findall(r"^(\w+)=(\S+)", text, re.M))
    lines = [line.split("  #")[0] for line in text.splitlines() if line.startswith("python -m sentiment ")]
    assert len(lines) >= 6
    for line in lines:
        words = [re.sub(r"\$(\w+)", lambda m: env[m[1]], w) for w in shlex.split(line)[3:]]
        args = _parser().parse_args(words)
        for path in getattr(args, "inputs", []) + [w.split("=", 1)[1] for w in getattr(args, "enroll", [])]:
            assert (ROOT / path).exists(), (line, path)
    for path in re.findall(r'pipe\("([^"]+)"', text):
        assert (ROOT / path).exists(), path


def test_install_page_explains_every_line_of_pip_check():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True).stdout
    page = (ROOT / "docs" / "install.md").read_text()
    block = page.split("`pip check` after the set-up reports")[1].split("```")[1]
    assert set(out.strip().splitlines()) <= set(block.strip().splitlines()), out
