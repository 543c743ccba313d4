"""CSV and XLSX readers for imports, bounded whatever the file declares.

django-import-export hands files to tablib and openpyxl as they are. Both trust the file:
a header line of a million columns is checked column by column, a 5 KB XLSX may declare a
million rows or 16,384 columns (openpyxl pads every row to the declared size) or hide a
gigabyte of XML behind its compression. These readers stop at IMPORT_MAX_COLUMNS columns
and IMPORT_MAX_ROWS rows, read an XLSX sheet by the cells that are really there, and
refuse a workbook whose parts unpack to more than a bounded size; each refusal is a
``FileProblem`` with a message for the person who uploaded the file.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice

import tablib
from django.conf import settings
from import_export.formats.base_formats import CSV, XLSX

# Every part of an XLSX file is XML, which compresses about tenfold; a part that unpacks
# to more than this is refused before openpyxl reads it.
XLSX_MAX_PART_BYTES = 200 * 1024 * 1024
XLSX_MAX_RATIO = 200
# A row may have empty (styled) cells to the right of its data; this far and no further.
XLSX_MAX_ROW_WIDTH = 1000


class FileProblem(ValueError):
    """A problem of the whole file (its size, columns, emptiness): reported before any row."""


def _check_width(width: int) -> None:
    limit = settings.IMPORT_MAX_COLUMNS
    if width > limit:
        raise FileProblem(
            f"The file has {width:,} columns; imports read at most {limit} "
            "(setting IMPORT_MAX_COLUMNS). Remove the extra columns."
        )


def _check_rows(count: int) -> None:
    limit = settings.IMPORT_MAX_ROWS
    if count > limit:
        raise FileProblem(
            f"The file has more than {limit:,} rows (setting IMPORT_MAX_ROWS). Split it into "
            "smaller files."
        )


def dataset_from_rows(header: Sequence, rows: Iterable[Sequence]) -> tablib.Dataset:
    """A tablib Dataset of ``header`` and ``rows``, read only up to the limits."""
    header = list(header)
    _check_width(len(header))
    dataset = tablib.Dataset(headers=header)
    # Appended as they are read: a list of the file's rows beside the dataset's own copies
    # would double the memory of a large file until both are built.
    for count, row in enumerate(islice(rows, settings.IMPORT_MAX_ROWS + 1), 1):
        if count > settings.IMPORT_MAX_ROWS:
            _check_rows(count)
        dataset.append(row)
    return dataset


# Cells of at most this many characters are shared when they repeat (a category, a flag, a
# price): a million-row file repeats most of its short cells, each a separate string.
SHARED_CELL_LENGTH = 40
SHARED_CELLS = 100_000


class BoundedCSV(CSV):
    """CSV, parsed as tablib would (blank lines skipped, short rows padded), within limits."""

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8")
        lines = io.StringIO(in_stream, newline="")
        # The header line alone is measured before csv splits it: a line of a million
        # commas is refused by counting, not by building a million-column list.
        first = lines.readline()
        if first.count(",") + 1 > settings.IMPORT_MAX_COLUMNS * 4:
            _check_width(first.count(",") + 1)
        lines.seek(0)
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            return tablib.Dataset()
        _check_width(len(header))
        return dataset_from_rows(header, self._rows(reader, len(header)))

    @staticmethod
    def _rows(reader, width: int):
        shared: dict[str, str] = {}
        for number, row in enumerate(reader, 1):
            if not row:
                continue  # a blank line, as tablib skips it
            if len(row) > width:
                raise FileProblem(
                    f"Row {number} has {len(row)} cells but the header names only {width} "
                    "columns. Check the file's commas and quotes."
                )
            if len(shared) < SHARED_CELLS:
                row = [
                    shared.setdefault(cell, cell) if len(cell) <= SHARED_CELL_LENGTH else cell
                    for cell in row
                ]
            else:
                row = [shared.get(cell, cell) for cell in row]
            yield row + [""] * (width - len(row)) if len(row) < width else row


class BoundedXLSX(XLSX):
    """The first sheet of an XLSX file, by its real cells, within limits."""

    def create_dataset(self, in_stream) -> tablib.Dataset:
        from openpyxl import load_workbook

        data = bytes(in_stream)
        _check_parts(data)
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except zipfile.BadZipFile:
            raise FileProblem("This is not an XLSX file (it is not a zip archive).") from None
        try:
            sheet = book.active
            # The declared size may be a lie (a "dimension bomb"): read the cells there are.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            header = _trimmed(next(rows, ()))
            if not header:
                return tablib.Dataset()
            _check_width(len(header))
            return dataset_from_rows(
                ["" if h is None else h for h in header], _sheet_rows(rows, len(header))
            )
        finally:
            book.close()


def _check_parts(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileProblem("This is not an XLSX file (it is not a zip archive).") from None
    for part in archive.infolist():
        unpacked = part.file_size
        packed = max(part.compress_size, 1)
        if unpacked > XLSX_MAX_PART_BYTES or (
            unpacked > 10_000_000 and unpacked / packed > XLSX_MAX_RATIO
        ):
            raise FileProblem(
                f"The workbook's part {part.filename} unpacks to {unpacked / 1024 / 1024:,.0f} "
                "MiB; this is not a spreadsheet that can be imported."
            )


def _trimmed(row: Sequence) -> tuple:
    """``row`` without its trailing empty cells."""
    end = len(row)
    while end and row[end - 1] in (None, ""):
        end -= 1
    return tuple(row[:end])


def _sheet_rows(rows, width: int):
    """Rows cut to ``width``, interior blank rows kept, trailing blank rows dropped."""
    blank = 0
    for number, row in enumerate(rows, 1):
        if len(row) > XLSX_MAX_ROW_WIDTH:
            raise FileProblem(
                f"Row {number} has cells as far as column {len(row):,}; imports read at most "
                f"{settings.IMPORT_MAX_COLUMNS} columns. Delete the empty columns at the right."
            )
        values = _trimmed(row)
        if len(values) > width:
            raise FileProblem(
                f"Row {number} has a value in column {len(values)}, but the header names only "
                f"{width} columns."
            )
        if not values:
            blank += 1
            _check_rows(number)  # a sheet of empty rows is still read only so far
            continue
        for _ in range(blank):
            yield (None,) * width
        blank = 0
        yield values + (None,) * (width - len(values))
