"""The streamed XLSX writer: cells as openpyxl writes them, first bytes before any row."""

import datetime
import io
import zipfile
from decimal import Decimal

import tablib
from import_export.formats.base_formats import XLSX
from openpyxl import load_workbook

from foundation.tests.sheets import xlsx_values
from foundation.xlsx import NUMBER, TEXT, xlsx_stream

HEADER = ["text", "spaced", "markup", "count", "price", "flag", "at", "day", "none", "blank"]
ROWS = [
    ["ORD-1", "  padded ", "a & b <c>", 3, Decimal("19.90"), True,
     datetime.datetime(2024, 5, 6, 7, 8, 9), datetime.date(2024, 1, 2), None, ""],
    ["two\nlines", "'=escaped", "Ünïcode ✓", -7, Decimal("20.00"), False,
     datetime.datetime(1999, 12, 31, 23, 59, 59), datetime.date(2000, 2, 29), None, ""],
    ["", " ", "x" * 40_000, 0, 0.5, True, None, None, 1, "z"],
]  # fmt: skip


def library_xlsx(header, rows) -> bytes:
    return XLSX().export_data(tablib.Dataset(*rows, headers=header))


def test_xlsx_stream_reads_back_as_the_library_workbook():
    streamed = xlsx_values(b"".join(xlsx_stream(HEADER, ROWS, title="Things")))
    expected = xlsx_values(library_xlsx(HEADER, ROWS))
    assert streamed == expected
    assert streamed[1][4] == 19.9 and streamed[2][4] == 20  # numbers, not text
    assert isinstance(streamed[1][6], datetime.datetime)
    assert len(streamed[3][2]) == 32_767  # the cell limit, as openpyxl cuts


def test_xlsx_stream_header_is_bold_and_frozen_and_sheet_named():
    book = load_workbook(io.BytesIO(b"".join(xlsx_stream(HEADER, ROWS, title="Order: items"))))
    sheet = book.active
    assert sheet.title == "Order- items"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet["A3"].alignment.wrap_text  # a cell with a line break wraps, as tablib does


def test_xlsx_stream_replaces_characters_xml_cannot_hold():
    [_, row] = xlsx_values(b"".join(xlsx_stream(["a"], [["bell\x07 and nul\x00"]])))
    assert row == ("bell\ufffd and nul\ufffd",)


def test_xlsx_stream_sends_its_first_bytes_before_reading_a_row():
    def rows():
        raise AssertionError("read too early")
        yield []

    stream = xlsx_stream(HEADER, rows())
    first = next(stream)
    assert first.startswith(b"PK") and len(first) > 500


def test_xlsx_stream_writes_prepared_text_by_kind():
    rows = [["=1+1 is text", "19.9", "20"], ["", "", "3"]]
    data = b"".join(xlsx_stream(["t", "n", "m"], rows, kinds=[TEXT, NUMBER, NUMBER]))
    assert xlsx_values(data) == [("t", "n", "m"), ("=1+1 is text", 19.9, 20), (None, None, 3)]


def test_xlsx_stream_of_many_rows_is_sent_in_several_chunks():
    rows = ([f"row {n} of many, padded with some text", n] for n in range(60_000))
    chunks = list(xlsx_stream(["text", "n"], rows))
    assert len(chunks) > 3
    read = xlsx_values(b"".join(chunks))
    assert len(read) == 60_001 and read[-1] == ("row 59999 of many, padded with some text", 59999)


def test_xlsx_stream_goes_on_to_a_new_sheet_when_one_is_full(monkeypatch):
    monkeypatch.setattr("foundation.xlsx.SHEET_MAX_ROWS", 4)  # header and three rows
    data = b"".join(xlsx_stream(["n"], ([n] for n in range(8)), title="Lines"))
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["Lines", "Lines 2", "Lines 3"]
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert sheets == [[("n",), (0,), (1,), (2,)], [("n",), (3,), (4,), (5,)], [("n",), (6,), (7,)]]
    book.close()


def test_xlsx_stream_splits_a_sheet_before_it_passes_the_zip_entry_size(monkeypatch):
    monkeypatch.setattr("foundation.xlsx.SHEET_MAX_BYTES", 40_000)
    monkeypatch.setattr("foundation.xlsx.ROWS_PER_BATCH", 50)
    rows = [[f"row {n} " + "x" * 100] for n in range(1_000)]
    book = load_workbook(io.BytesIO(b"".join(xlsx_stream(["text"], rows))), read_only=True)
    read = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert len(book.sheetnames) > 2
    assert [row for row in read if row != ("text",)] == [tuple(row) for row in rows]
    book.close()


def test_xlsx_stream_writes_plain_zip_entries():
    # Excel refuses Zip64 entries that are not needed; a sheet never needs one.
    archive = zipfile.ZipFile(io.BytesIO(b"".join(xlsx_stream(HEADER, ROWS))))
    assert archive.testzip() is None
    assert archive.namelist()[0] == "[Content_Types].xml"
    assert all(info.extract_version < 45 for info in archive.infolist())
