"""The command line's contract: every command documented, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys


from monitor.cli import build_parser


def _commands(parser=None, prefix=()):
    """Yield (path, subparser, help) for every command and sub-command."""
    import argparse

    parser = parser or build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield prefix + (name,), sub, helps.get(name)
                yield from _commands(sub, prefix + (name,))


def test_every_command_has_help_text():
    found = list(_commands())
    assert len(found) >= 4
    missing = [" ".join(path) for path, _sub, help_text in found if not help_text]
    assert missing == []


def test_top_level_help_lists_every_command(cli):
    rc, out, _ = cli("--help")
    assert rc == 0
    top = {path[0] for path, _s, _h in _commands() if len(path) == 1}
    for name in top:
        assert name in out


def test_usage_error_exits_2(cli):
    rc, _out, err = cli("no-such-command")
    assert rc == 2
    assert "invalid choice" in err


def test_bad_config_is_one_line_and_exit_1(cli, monkeypatch):
    monkeypatch.setenv("MONITOR_BROKEN_AFTER", "-1")
    rc, _out, err = cli("config")
    assert rc == 1
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("error: MONITOR_BROKEN_AFTER")
    assert "Traceback" not in err


def test_unreachable_database_is_one_line_and_exit_1(cli, monkeypatch):
    # port 9 (discard) on loopback: nothing listens there, the connection is refused at once
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql+psycopg://nobody:pw@127.0.0.1:9/x")
    rc, _out, err = cli("db", "upgrade")
    assert rc == 1
    assert "unreachable" in err and "Traceback" not in err
    assert "pw@" not in err  # the password is not echoed


def test_config_json_redacts_secrets(cli, monkeypatch):
    monkeypatch.setenv("MONITOR_SLACK_TOKEN", "xoxb-never-print-me")
    rc, out, err = cli("config", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["slack_token"] == "***"
    assert data["smtp_password"] is None
    assert "xoxb-never-print-me" not in out + err


def test_db_upgrade_and_current(cli, empty_db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", empty_db_url)
    rc, out, _ = cli("db", "current", "--json")
    assert rc == 0 and json.loads(out)["current"] is None
    rc, out, _ = cli("db", "upgrade")
    assert rc == 0
    rc, out, _ = cli("db", "current", "--json")
    data = json.loads(out)
    assert data["up_to_date"] is True and data["current"] == data["head"]


def test_help_starts_without_loading_the_database_stack():
    code = (
        "import sys, monitor.cli as c; c.build_parser(); "
        "heavy = [m for m in ('sqlalchemy', 'pdfplumber', 'requests', 'alembic') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_reader_that_leaves_early_gets_no_traceback(monitor_env):
    """`monitor config | head -1`: the pipe closes before the output is written."""
    import os

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from monitor.cli import main; import sys; sys.exit(main(['config']))",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    proc.stdout.close()  # before the child has started writing
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
