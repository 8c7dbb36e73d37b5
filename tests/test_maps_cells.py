"""maps.cells: text that a spreadsheet would run as a formula is neutralised; numbers stay numbers."""
import csv
import io

import numpy as np
import pytest

from maps.cells import spreadsheet_cell, spreadsheet_row


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", "-5"])
def test_text_that_starts_like_a_formula_gets_a_quote(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -5.5, 0, np.int64(-7), np.float64(-0.25), True, None])
def test_numbers_booleans_and_none_pass_unchanged(value):
    assert spreadsheet_cell(value) is value


@pytest.mark.parametrize("text", ["翠湖花园", "{{7*7}}", "a=b", "'quoted", ""])
def test_other_text_is_unchanged(text):
    assert spreadsheet_cell(text) == text


def test_a_written_row_keeps_numbers_unquoted():
    buffer = io.StringIO()
    csv.writer(buffer).writerow(spreadsheet_row(["=1+2", -5, 2.5, "name"]))
    assert buffer.getvalue() == "'=1+2,-5,2.5,name\r\n"
