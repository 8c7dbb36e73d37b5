"""CI does exactly what the README tells a new user: the install-and-demo command (no test extras) and the
test command of its Quick start are the commands .ci/run runs."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_ci_runs_the_readme_demo_and_test_commands():
    commands = _quick_start_commands()
    demo = next(c for c in commands if "redistrict demo" in c)
    tests = next(c for c in commands if "pytest" in c)
    assert "[test]" not in demo, "installing and running the demo must not need the test extras"
    assert "[test]" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("pip install -q ", "pip install ")
    assert demo in ci
    assert tests in ci


def test_readme_says_how_to_open_the_notebook():
    notebook = ROOT / "notebooks" / "walkthrough.ipynb"
    assert notebook.is_file()
    opening = next(c for c in _quick_start_commands() if "walkthrough.ipynb" in c)
    assert "jupyter" in opening
    extra = re.search(r"\.\[(\w+)\]", opening).group(1)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf"^{extra} = \[.*jupyter", pyproject, flags=re.M), extra
