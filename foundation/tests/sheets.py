"""Read XLSX files back in tests, as staff's spreadsheet (openpyxl) and the import see them."""

import io

from import_export.formats.base_formats import XLSX
from openpyxl import load_workbook


def xlsx_values(data: bytes) -> list[tuple]:
    """The first sheet's rows, as values."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(book.active.iter_rows(values_only=True))
    finally:
        book.close()


def library_xlsx_values(resource, queryset=None, **kwargs) -> list[tuple]:
    """What django-import-export's own in-memory XLSX export of ``resource`` reads back as."""
    dataset = resource.export(queryset, force_native_type=True, **kwargs)
    return xlsx_values(XLSX().export_data(dataset))
