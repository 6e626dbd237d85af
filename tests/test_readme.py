"""The README is part of the product: it starts with the two set-up commands, documents every
setting and every command, and .ci/run runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.config import SETTINGS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _first_block() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_the_run_and_test_commands():
    assert README.index("```sh") < README.index("\n## ")
    assert _first_block() == [
        'pip install -e . && monitor demo',
        'pip install -e ".[test]" && python -m pytest',
    ]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    pip, pytest_cmd = _first_block()[1].split(" && ")
    assert f"python -m {pip.replace('pip install', 'pip install -q')} && {pytest_cmd}" in ci


def test_every_setting_is_documented_with_its_variable():
    for setting in SETTINGS:
        row = [line for line in README.splitlines() if line.startswith(f"| `{setting.name}` |")]
        assert row, f"README has no configuration row for {setting.name}"
        assert f"`{setting.env}`" in row[0]


def test_every_command_is_documented():
    from test_cli import _commands

    top = {path[0] for path, _sub, _help in _commands() if len(path) == 1}
    missing = [name for name in sorted(top) if f"monitor {name}" not in README]
    assert missing == []
