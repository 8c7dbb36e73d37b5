"""redistrict.terminal: control and bidi characters from the data reach the terminal as visible escapes."""
import logging

import pytest

from redistrict.cli import main
from redistrict.terminal import VisibleFormatter, visible


def test_control_and_bidi_characters_are_shown_as_escapes_and_chinese_is_kept():
    assert visible("\x1b[31m翠湖\u202e花园\x7f\x85\u2028") == "\\x1b[31m翠湖\\u202e花园\\x7f\\x85\\u2028"


def test_newlines_are_escaped_unless_kept():
    assert visible("a\nb\tc") == "a\\nb\\tc"
    assert visible("a\nb", keep="\n") == "a\nb"


def test_log_lines_escape_their_arguments_fully_and_keep_their_own_newlines():
    formatter = VisibleFormatter("%(message)s")
    record = logging.LogRecord("redistrict", logging.WARNING, __file__, 1, "estate %s:\nnext line",
                               ("\x1b[2J翠湖\nfake line",), None)
    assert formatter.format(record) == "estate \\x1b[2J翠湖\\nfake line:\nnext line"
    assert record.args == ("\x1b[2J翠湖\nfake line",)  # the record itself is left as it was


def test_argument_errors_show_control_characters_escaped(capsys):
    """argparse echoes an unrecognised argument raw; an argument copied from a file may hold an ESC."""
    with pytest.raises(SystemExit) as stopped:
        main(["split", "\x1b[31mRED", "\u202eevil\x07"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\x1b[31mRED" in err and "\\u202eevil\\x07" in err
