"""The import readers: bounded columns, rows and unpacked size, whatever the file declares."""

import io
import re
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from foundation import formats
from foundation.formats import BoundedCSV, BoundedXLSX, FileProblem


def xlsx(rows, *, dimension: str | None = None, extra_xml: str = "") -> bytes:
    """An XLSX file of ``rows``; optionally lying about its size or with raw row XML added."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None and not extra_xml:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if dimension:
                    text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', text)
                text = text.replace("</sheetData>", f"{extra_xml}</sheetData>")
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


# CSV -------------------------------------------------------------------------------------------


def test_csv_header_of_a_million_columns_is_refused_by_counting():
    header = ",".join(f"c{n}" for n in range(1_000_000))
    assert len(header) > 7_000_000
    with pytest.raises(FileProblem, match="1,000,000 columns; imports read at most 50"):
        BoundedCSV().create_dataset(header + "\n1\n")


def test_csv_header_just_over_the_column_limit_is_refused(settings):
    settings.IMPORT_MAX_COLUMNS = 3
    with pytest.raises(FileProblem, match="4 columns; imports read at most 3"):
        BoundedCSV().create_dataset("a,b,c,d\n1,2,3,4\n")


def test_csv_reads_like_tablib_blank_lines_skipped_short_rows_padded():
    dataset = BoundedCSV().create_dataset('sku,name,note\nA,"Two, words"\n\nB,Bee,x\n')
    assert dataset.headers == ["sku", "name", "note"]
    assert [tuple(row) for row in dataset] == [("A", "Two, words", ""), ("B", "Bee", "x")]


def test_csv_row_with_more_cells_than_the_header_names_is_refused():
    with pytest.raises(FileProblem, match="Row 2 has 3 cells but the header names only 2"):
        BoundedCSV().create_dataset("a,b\n1,2\n1,2,3\n")


def test_csv_rows_over_the_limit_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(FileProblem, match="more than 5 rows"):
        BoundedCSV().create_dataset("a\n" + "1\n" * 6)
    assert len(BoundedCSV().create_dataset("a\n" + "1\n" * 5)) == 5


def test_csv_bytes_are_decoded_with_the_formats_encoding():
    dataset = BoundedCSV(encoding="utf-8").create_dataset("sku\nCrème\n".encode())
    assert list(dataset["sku"]) == ["Crème"]


# XLSX ------------------------------------------------------------------------------------------


def test_xlsx_reads_the_first_sheet_without_trailing_blank_cells():
    dataset = BoundedXLSX().create_dataset(xlsx([["sku", "stock", None], ["A", 3], ["B", 4]]))
    assert dataset.headers == ["sku", "stock"]
    assert [tuple(row) for row in dataset] == [("A", 3), ("B", 4)]


def test_xlsx_dimension_bomb_of_16384_columns_is_read_by_its_real_cells():
    bomb = xlsx([["sku", "stock"], ["A", 3]], dimension="A1:XFD8000")
    assert len(bomb) < 10_000
    tracemalloc.start()
    try:
        dataset = BoundedXLSX().create_dataset(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [tuple(row) for row in dataset] == [("A", 3)]
    assert peak < 20 * 1024 * 1024  # the declared 131 million cells are never made


def test_xlsx_empty_row_200000_adds_no_rows():
    empty_far_row = '<row r="200000" spans="1:6"></row>'
    data = xlsx([["sku", "stock"], ["A", 3]], dimension="A1:F200000", extra_xml=empty_far_row)
    dataset = BoundedXLSX().create_dataset(data)
    assert [tuple(row) for row in dataset] == [("A", 3)]


def test_xlsx_empty_rows_past_the_row_limit_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 1000
    far = '<row r="5000"><c r="A5000" t="inlineStr"><is><t>late</t></is></c></row>'
    with pytest.raises(FileProblem, match="more than 1,000 rows"):
        BoundedXLSX().create_dataset(xlsx([["sku"], ["A"]], extra_xml=far))


def test_xlsx_cell_at_the_last_column_is_refused_with_a_message():
    styled_far_cell = '<row r="3"><c r="XFD3" s="0"/></row>'
    data = xlsx([["sku", "stock"], ["A", 3]], extra_xml=styled_far_cell)
    with pytest.raises(FileProblem, match="Row 2 has cells as far as column 16,384"):
        BoundedXLSX().create_dataset(data)


def test_xlsx_value_outside_the_header_is_refused():
    with pytest.raises(FileProblem, match="Row 1 has a value in column 3"):
        BoundedXLSX().create_dataset(xlsx([["sku", "stock"], ["A", 3, "stray"]]))


def test_xlsx_part_that_unpacks_too_far_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(formats, "XLSX_MAX_PART_BYTES", 1024 * 1024)
    padding = "<row/>" * 400_000  # 2.4 MB of XML, compressed to a few kilobytes
    data = xlsx([["sku"], ["A"]], extra_xml=padding)
    assert len(data) < 50_000
    with pytest.raises(FileProblem, match=re.escape("sheet1.xml unpacks to 2 MiB")):
        BoundedXLSX().create_dataset(data)


def test_xlsx_that_is_not_a_zip_is_refused():
    with pytest.raises(FileProblem, match="not an XLSX file"):
        BoundedXLSX().create_dataset(b"sku,name\nA,B\n")
