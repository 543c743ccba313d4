"""XLSX written as a stream: rows in, zip bytes out, in constant memory.

openpyxl (through tablib) builds the whole workbook in memory before the first byte, and
its write-only mode and XlsxWriter's constant-memory mode still write the sheet to a
temporary file and zip it at the end. Here the SpreadsheetML parts are written straight
into a zip whose entries use data descriptors (no seeking back), so the first bytes leave
at once and memory stays flat whatever the row count.

The cells are written as openpyxl writes them (inline strings, numbers, booleans, dates as
serial numbers with a date format), so openpyxl and the import read back the same values
as from django-import-export's own XLSX export. A bold, frozen header line as there.
"""

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# As openpyxl: a cell holds at most 32,767 characters, and no XML-illegal control
# characters (openpyxl refuses those; a stream that has started cannot refuse, so they
# become U+FFFD, as IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT does).
MAX_CELL_CHARS = 32_767
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
ILLEGAL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# The most rows a sheet may have (Excel's limit, the header included), and the most bytes
# of XML in one sheet (a plain zip entry holds less than 2 GiB).
SHEET_MAX_ROWS = 1_048_576
SHEET_MAX_BYTES = 2_000_000_000
CHUNK_BYTES = 256 * 1024  # yield once this much compressed output is ready
ROWS_PER_BATCH = 500  # rows turned into XML between two looks at the output

# Style ids in STYLES below.
STYLE_BOLD, STYLE_DATETIME, STYLE_DATE, STYLE_TIME, STYLE_WRAP = 1, 2, 3, 4, 5
# Column kinds for ``xlsx_stream(kinds=…)``: cells already in their final text form.
TEXT, NUMBER = "text", "number"

# Every sheet part is typed by the "xml" default, so that this part can come first in the
# zip although the number of sheets is only known at the end.
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_SHEET = '<sheet name="{title}" sheetId="{n}" r:id="rId{n}"/>'
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '{sheets}<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
)
_WORKBOOK_RELS_SHEET = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="h:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
    "</sheetViews><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"


class _Sink:
    """A write-only file for zipfile that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


# A cell is written as '<c r="B7"' followed by its "tail", which depends on its value.
EMPTY = "/>"  # an empty cell is written, as openpyxl does: every row is as wide as the header


def text_tail(value: str) -> str:
    """The tail of an inline-string cell, written as openpyxl writes one."""
    if not value:
        return EMPTY
    if len(value) > MAX_CELL_CHARS:
        value = value[:MAX_CELL_CHARS]
    if "&" in value or "<" in value or ">" in value:
        value = xml_escape(value)
    style = f' s="{STYLE_WRAP}"' if "\n" in value else ""
    # strip() gives back the same string when there is nothing to strip.
    stripped = value.strip()
    if stripped is not value and stripped:
        return f'{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'{style} t="inlineStr"><is><t>{value}</t></is></c>'


def number_text_tail(value: str) -> str:
    """The tail of a number already in its text form (from the database)."""
    return f' t="n"><v>{value}</v></c>' if value else EMPTY


def _int(value: int) -> str:
    return f' t="n"><v>{value}</v></c>'


def _float(value) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return ' t="n"/>'
    # float() first, as openpyxl's "%.16g": a Decimal's own format keeps 20.00 as 20.00.
    return f' t="n"><v>{float(value):.16g}</v></c>'


def _bool(value: bool) -> str:
    return f' t="b"><v>{int(value)}</v></c>'


def _datetime(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        # A spreadsheet has no time zones: the clock time as it is (DateTimeWidget gives
        # local time without its zone already).
        value = value.replace(tzinfo=None)
    return f' s="{STYLE_DATETIME}" t="n"><v>{to_excel(value)}</v></c>'


def _date(value: datetime.date) -> str:
    return f' s="{STYLE_DATE}" t="n"><v>{to_excel(value)}</v></c>'


def _time(value: datetime.time) -> str:
    return f' s="{STYLE_TIME}" t="n"><v>{to_excel(value)}</v></c>'


# Python type -> tail writer; anything else is written as its text, as tablib does.
TAILS: dict[type, Callable[[object], str]] = {
    str: text_tail,
    int: _int,
    Decimal: _float,
    float: _float,
    bool: _bool,
    datetime.datetime: _datetime,
    datetime.date: _date,
    datetime.time: _time,
}


def any_tail(value) -> str:
    """The tail of a cell for a value of any type, typed as openpyxl types it."""
    if value is None or value == "":
        return EMPTY
    writer = TAILS.get(type(value))
    if writer is None:
        writer = next((w for t, w in TAILS.items() if isinstance(value, t)), None)
        if writer is None:
            return text_tail(str(value))
    return writer(value)


def row_writer(tails: Sequence[Callable[[object], str]]) -> Callable[..., str]:
    """A function (row number, *values) -> the row's XML, for columns written by ``tails``.

    Made from source once per export: one f-string per row instead of a loop per cell
    doubles the rows per second; prepared numbers are written in place, without a call.
    """
    scope: dict[str, object] = {}
    cells = []
    for n, tail in enumerate(tails):
        letter, value = get_column_letter(n + 1), f"v{n}"
        if tail is number_text_tail:
            cell = f"{{(' t=\"n\"><v>' + {value} + '</v></c>') if {value} else '/>'}}"
        else:
            scope[f"t{n}"] = tail
            cell = f"{{t{n}({value})}}"
        cells.append(f'<c r="{letter}{{n}}"{cell}')
    names = ", ".join(f"v{n}" for n in range(len(tails)))
    source = f"def write(n, {names}):\n    return f'<row r=\"{{n}}\">{''.join(cells)}</row>'\n"
    exec(source, scope)  # the source holds column letters and numbers only, no data
    return scope["write"]


def _rows_xml(rows: Iterable[Sequence], write: Callable[..., str], first_row: int) -> bytes:
    data = "".join([write(number, *row) for number, row in enumerate(rows, first_row)]).encode()
    # XML cannot hold most control characters; they are rare, so look for them with a
    # fast byte deletion first (none of them is part of a multi-byte UTF-8 character).
    if len(data.translate(None, ILLEGAL_BYTES)) != len(data):
        data = ILLEGAL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", data.decode()).encode()
    return data


def _batches(rows: Iterable[Sequence], size: int) -> Iterator[list[Sequence]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sheet_title(title: str) -> str:
    """``title`` as a valid sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31]
    return xml_escape(cleaned or "Sheet1", {'"': "&quot;"})


def xlsx_stream(
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title: str = "Sheet1",
    kinds: Sequence[str] | None = None,
    compresslevel: int = 1,
) -> Iterator[bytes]:
    """Yield an XLSX workbook: ``header`` in bold and frozen, then ``rows``.

    Cells are typed by their Python value (str, int, Decimal, float, bool, date, time,
    datetime; None and "" are empty). With ``kinds`` (TEXT or NUMBER per column) every
    value is text already in its final form, for rows read straight from the database:
    a NUMBER is written as it is, a TEXT as a string. Every row has a value per column.

    A sheet holds at most SHEET_MAX_ROWS rows (a spreadsheet shows no more); further rows
    go on to a second sheet, "<title> 2", with the header again, and so on.
    """
    sink = _Sink()
    # Deflate level 1: the XML shrinks about as well (~8x) at a fraction of level 6's time.
    book = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
    for name, text in (
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/styles.xml", _STYLES),
    ):
        book.writestr(name, text)
    width = len(header)
    if kinds is None:
        write = row_writer([any_tail] * width)
    else:
        write = row_writer([text_tail if kind == TEXT else number_text_tail for kind in kinds])
    head = "".join(
        f'<c r="{get_column_letter(n)}1" s="{STYLE_BOLD}"{text_tail(str(name))}'
        for n, name in enumerate(header, 1)
    )
    sheets = 1
    sheet = _open_sheet(book, sheets, head)
    yield sink.take()  # the first bytes, before the first row is read
    number, written = 2, 0  # the next row's number; bytes in this sheet
    for batch in _batches(rows, ROWS_PER_BATCH):
        while batch:
            part, batch = batch[: SHEET_MAX_ROWS + 1 - number], batch[SHEET_MAX_ROWS + 1 - number :]
            data = _rows_xml(part, write, number) if part else b""
            if not part or (written + len(data) > SHEET_MAX_BYTES and number > 2):
                # Full: close this sheet, go on with the same rows on a new one.
                sheet.write(_SHEET_END.encode())
                sheet.close()
                sheets += 1
                sheet = _open_sheet(book, sheets, head)
                number, written = 2, 0
                batch = part + batch
                continue
            sheet.write(data)
            number += len(part)
            written += len(data)
        if sink.size >= CHUNK_BYTES:
            yield sink.take()
    sheet.write(_SHEET_END.encode())
    sheet.close()
    titles = [sheet_title(title if n == 1 else f"{title[:26]} {n}") for n in range(1, sheets + 1)]
    book.writestr(
        "xl/workbook.xml",
        _WORKBOOK.format(
            sheets="".join(
                _WORKBOOK_SHEET.format(title=name, n=n) for n, name in enumerate(titles, 1)
            )
        ),
    )
    book.writestr(
        "xl/_rels/workbook.xml.rels",
        _WORKBOOK_RELS.format(
            sheets="".join(_WORKBOOK_RELS_SHEET.format(n=n) for n in range(1, sheets + 1))
        ),
    )
    book.close()
    yield sink.take()


def _open_sheet(book: zipfile.ZipFile, n: int, head: str):
    # Never Zip64 (Excel refuses Zip64 entries it does not need): a sheet stays within the
    # 2 GiB of a plain zip entry (SHEET_MAX_BYTES).
    sheet = book.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=False)
    sheet.write(f'{_SHEET_START}<row r="1">{head}</row>'.encode())
    return sheet
