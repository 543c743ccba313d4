"""Shared pieces of every import/export resource: strict widgets, formula escaping,
all-or-nothing imports with column checks, and error reports that name row and column.

Row numbers count data rows: row 1 is the first row under the header line.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from import_export import resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import Result, RowResult

from foundation.formats import FileProblem
from foundation.xlsx import xlsx_stream

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"0", "false", "no", "n"}
# Widgets whose exported value is a number, a date or a flag: never escaped, so that a
# spreadsheet reads -1 as minus one, not as the text '-1.
NATIVE_WIDGETS = (
    widgets.NumberWidget,
    widgets.DateWidget,
    widgets.DateTimeWidget,
    widgets.TimeWidget,
    widgets.BooleanWidget,
)


def escape_formula(value: str) -> str:
    """Return ``value`` made inert for spreadsheets, reversibly.

    A leading ``'`` goes before =, +, -, @, tab and CR (which a spreadsheet would run as a
    formula) and before a ``'`` (so that a value which itself starts with one survives
    the round trip: a spreadsheet shows a leading ``'`` as a text marker).
    """
    if value and value.startswith((*FORMULA_PREFIXES, "'")):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo ``escape_formula``: one leading ``'`` is an escape, as in a spreadsheet."""
    return value[1:] if value.startswith("'") else value


def _text(value) -> str:
    return "" if value is None else str(value).strip()


FORMULA_REFUSED = ("=", "@")
# A leading + is a phone number or a signed amount far more often than a formula.
PLAIN_PLUS = re.compile(r"\+[\d\s().\-/]*")


class TextWidget(widgets.CharWidget):
    """Text that may be blank; strips spaces and undoes formula escaping.

    A cell that a spreadsheet would run as a formula (= or @ first, or + followed by more
    than a phone number) is refused: written as '=… it is kept as text, which is also how
    exports write such cells.
    """

    def __init__(self, *, max_length: int | None = None, required: bool = False) -> None:
        super().__init__(allow_blank=True)
        self.max_length = max_length
        self.required = required

    def clean(self, value, row=None, **kwargs) -> str:
        raw = _text(value)
        if "\x00" in raw:
            raise ValueError("Contains a NUL character: is this a binary file?")
        if raw.startswith(FORMULA_REFUSED) or (
            raw.startswith("+") and not PLAIN_PLUS.fullmatch(raw)
        ):
            raise ValueError(
                f"'{raw[:30]}' starts with '{raw[0]}', which spreadsheets run as a formula; "
                f"write '{raw[:30]} to keep it as text."
            )
        text = unescape_formula(raw)
        if self.required and not text:
            raise ValueError("This value is required.")
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"At most {self.max_length} characters allowed (got {len(text)}).")
        return text


class DecimalWidget(widgets.DecimalWidget):
    """A decimal >= 0 with at most two decimal places, e.g. 19.99."""

    def __init__(self, *, required: bool = True, max_value: Decimal = Decimal("99999999.99")):
        super().__init__()
        self.required = required
        self.max_value = max_value

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        text = _text(value)
        if not text:
            if self.required:
                raise ValueError("This value is required.")
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{text[:40]}' is not a number (use a dot: 19.99).") from None
        if not number.is_finite():
            raise ValueError(f"'{text[:40]}' is not a number.")
        if number < 0:
            raise ValueError(f"Must be 0 or more, got {text}.")
        if number > self.max_value:
            raise ValueError(f"Must be at most {self.max_value}, got {text[:40]}.")
        if number.as_tuple().exponent < -2:
            if number != round(number, 2):
                raise ValueError(f"At most two decimal places, got {text}.")
            number = number.quantize(Decimal("0.01"))  # 19.990 is 19.99, in both import paths
        return number


class CountWidget(widgets.IntegerWidget):
    """A whole number >= 0."""

    def __init__(self, *, required: bool = True, max_value: int = 2_000_000_000) -> None:
        super().__init__()
        self.required = required
        self.max_value = max_value

    def clean(self, value, row=None, **kwargs) -> int | None:
        text = _text(value)
        if not text:
            if self.required:
                raise ValueError("This value is required.")
            return None
        if text.isdigit():  # the usual case, without going through Decimal
            number = int(text)
            if number > self.max_value:
                raise ValueError(f"Must be at most {self.max_value}, got {text[:40]}.")
            return number
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{text[:40]}' is not a whole number.") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"'{text[:40]}' is not a whole number.")
        if number < 0:
            raise ValueError(f"Must be 0 or more, got {text}.")
        if number > self.max_value:
            raise ValueError(f"Must be at most {self.max_value}, got {text[:40]}.")
        return int(number)


class BooleanWidget(widgets.BooleanWidget):
    """1/0, true/false, yes/no (any case); exported as 1/0."""

    def __init__(self, *, required: bool = True) -> None:
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs) -> bool | None:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        if not text and not self.required:
            return None
        raise ValueError(f"'{_text(value)[:40]}' is not one of 1/0, true/false, yes/no.")

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return 1 if value else 0


class SlugForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the target's slug (or other unique key), looked up once."""

    def __init__(self, model, field: str = "slug", *, required: bool = True) -> None:
        super().__init__(model, field)
        self.required = required
        self._cache: dict[str, object] | None = None
        self._keys: dict[object, str] | None = None

    def reset(self) -> None:
        self._cache = None
        self._keys = None

    def key_of(self, pk) -> str:
        """The slug (as the file writes it) of the target whose key is ``pk``, for previews.

        Read from the same one-query cache as ``clean``: a preview of any number of rows
        looks its foreign keys up once.
        """
        if pk is None:
            return ""
        if self._cache is None:
            self._cache = {getattr(obj, self.field): obj for obj in self.model.objects.all()}
        if self._keys is None or len(self._keys) != len(self._cache):
            self._keys = {obj.pk: key for key, obj in self._cache.items()}
        return self._keys.get(pk, str(pk))

    def clean(self, value, row=None, **kwargs):
        key = _text(value)
        if not key:
            if self.required:
                raise ValueError("This value is required.")
            return None
        if self._cache is None:
            self._cache = {getattr(obj, self.field): obj for obj in self.model.objects.all()}
        try:
            return self._cache[key]
        except KeyError:
            name = self.model._meta.verbose_name
            raise ValueError(f"Unknown {name} '{key[:60]}'.") from None


# New, updated and deleted rows kept for the admin's preview, of each kind; the totals
# count every row. Unchanged rows are counted, never listed.
PREVIEW_ROWS = 50
PREVIEW_KINDS = (
    RowResult.IMPORT_TYPE_NEW,
    RowResult.IMPORT_TYPE_UPDATE,
    RowResult.IMPORT_TYPE_DELETE,
)


def preview_text(value) -> str:
    """A value as an import preview shows it: as a file would write it, amounts with two
    decimals (11.9 and 11.90 read alike), flags as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent > -2:
        return str(value.quantize(Decimal("0.01")))
    return str(value)


@dataclass(frozen=True)
class PreviewCell:
    """One cell of an import preview: the file's value and, for a row that exists, the
    value the database holds now (``old``; None for a new row)."""

    new: str
    old: str | None = None

    @property
    def changed(self) -> bool:
        return self.old is not None and self.old != self.new

    def __str__(self) -> str:
        return f"{self.old} → {self.new}" if self.changed else self.new


class DiffHeader(str):
    """A preview column: the file's column name (the string itself) and its label."""

    label: str

    def __new__(cls, column: str, label: str) -> "DiffHeader":
        header = super().__new__(cls, column)
        header.label = label
        return header


def preview_cells(headers: Sequence[str], new: dict, old: dict | None, show) -> list[PreviewCell]:
    """The cells of one preview row; ``show(column, value)`` gives a value's text."""
    return [
        PreviewCell(show(h, new.get(h)), None if old is None else show(h, old.get(h)))
        for h in headers
    ]


class PreviewDiff(resources.Diff):
    """django-import-export's row diff as ``PreviewCell``s (value now → value in the file)
    instead of a character-level HTML diff, through the resource's ``preview_value``."""

    def __init__(self, resource, instance, new) -> None:
        self.left = self._values(resource, instance)
        self.right = []
        self.new = new
        resource.preview_state.update(repr((new, self.left)).encode())

    def compare_with(self, resource, instance) -> None:
        self.right = self._values(resource, instance)

    @staticmethod
    def _values(resource, instance) -> list[str]:
        fields = resource.get_import_fields()
        if instance is None:
            return [""] * len(fields)
        return [resource.preview_value(field, instance) for field in fields]

    def as_html(self) -> list[PreviewCell]:
        return [
            PreviewCell(new, None if self.new else old)
            for old, new in zip(self.left, self.right, strict=False)
        ]


class BatchInstanceLoader(ModelInstanceLoader):
    """Finds the existing rows of a whole file in a few queries (by the one key column, a
    chunk at a time) instead of one query per row. A key that does not clean is left to the
    row's own check, which reports it."""

    CHUNK = 2000

    def __init__(self, resource, dataset=None) -> None:
        super().__init__(resource, dataset)
        self.field = resource.fields[resource.get_import_id_fields()[0]]
        keys = set()
        if dataset is not None and dataset.headers and self.field.column_name in dataset.headers:
            column = dataset.headers.index(self.field.column_name)
            for values in dataset:
                try:
                    keys.add(self.field.clean({self.field.column_name: values[column]}))
                except (ValueError, ValidationError):
                    continue
        keys.discard(None)
        keys.discard("")
        ordered = sorted(keys)
        self.instances: dict = {}
        for start in range(0, len(ordered), self.CHUNK):
            chunk = ordered[start : start + self.CHUNK]
            lookup = {f"{self.field.attribute}__in": chunk}
            for instance in self.get_queryset().filter(**lookup):
                self.instances[getattr(instance, self.field.attribute)] = instance

    def get_instance(self, row):
        return self.instances.get(self.field.clean(row))


class StrictModelResource(resources.ModelResource):
    """A ModelResource whose imports are all-or-nothing and whose exports are formula-safe.

    Subclasses list ``required_columns``; any other column must be a field of the resource.
    """

    required_columns: tuple[str, ...] = ()
    # Preview labels of columns that are no model field, or whose field's name reads badly.
    column_labels: dict[str, str] = {}

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        expected = kwargs.pop("preview_state", None)
        # A digest of every existing row the file names, as read before it is changed.
        self.preview_state = hashlib.blake2b(digest_size=16)
        result = super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )
        result.preview_state = self.preview_state.hexdigest()
        check_preview_state(result, expected, self.get_error_result_class())
        return result

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs) -> Result:
        # One bad row must import nothing, validation errors included.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        result = super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)
        if dry_run:
            keep_preview_sample(result)
        return result

    # The preview ---------------------------------------------------------------------------

    def get_diff_class(self):
        return PreviewDiff

    def get_diff_headers(self) -> list[DiffHeader]:
        return [DiffHeader(f.column_name, self.column_label(f)) for f in self.get_import_fields()]

    def column_label(self, field) -> str:
        """The preview's heading of a column: the model field's verbose name, else the
        column's name in words."""
        if field.column_name in self.column_labels:
            return self.column_labels[field.column_name]
        model = self._meta.model
        if field.attribute and model is not None and "__" not in field.attribute:
            try:
                return capfirst(str(model._meta.get_field(field.attribute).verbose_name))
            except FieldDoesNotExist:
                pass
        return capfirst(field.column_name.replace("_", " "))

    def preview_value(self, field, instance) -> str:
        """The text of ``field`` on ``instance`` in a preview, without a query: a foreign
        key is shown as the file writes it (a slug), from the widget's one-query cache."""
        if isinstance(field.widget, SlugForeignKeyWidget):
            return field.widget.key_of(getattr(instance, f"{field.attribute}_id", None))
        return preview_text(field.get_value(instance))

    def before_import(self, dataset, **kwargs) -> None:
        for field in self.fields.values():
            if isinstance(field.widget, SlugForeignKeyWidget):
                field.widget.reset()
        self._seen_keys: dict[tuple, tuple[int, str]] = {}
        headers = [_text(h).lstrip("\ufeff") for h in (dataset.headers or [])]
        if not headers and not len(dataset):
            raise FileProblem("The file is empty.")
        dataset.headers = headers
        allowed = {field.column_name for field in self.get_import_fields()}
        problems = []
        if len(headers) == 1 and any(sep in headers[0] for sep in (";", "\t", "|")):
            sep = next(sep for sep in (";", "\t", "|") if sep in headers[0])
            shown = "tab" if sep == "\t" else f"'{sep}'"
            del dataset[:]
            raise FileProblem(
                f"The columns are separated by {shown}; save the file as CSV with commas."
            )
        if not len(dataset):
            raise FileProblem("The file has a header line but no rows under it.")
        limit = self.row_limit()
        if (count := len(dataset)) > limit:
            del dataset[:]
            raise FileProblem(
                f"The file has {count:,} rows; this import takes at most {limit:,} at once. "
                "Split it into smaller files."
            )
        missing = [c for c in self.required_columns if c not in headers]
        if missing:
            problems.append(f"Missing required column(s): {', '.join(missing)}.")
        unknown = [h or "(empty)" for h in headers if h not in allowed]
        if unknown:
            problems.append(
                f"Unknown column(s): {', '.join(unknown)}. "
                f"Allowed columns: {', '.join(sorted(allowed))}."
            )
        repeated = sorted(h for h, n in Counter(headers).items() if h and n > 1)
        if repeated:
            problems.append(f"Column(s) given twice: {', '.join(repeated)}.")
        if problems:
            del dataset[:]  # nothing is imported; report the file's problem once, not per row
            raise FileProblem(" ".join(problems))

    def row_limit(self) -> int:
        """Rows one file may have: django-import-export's own row-by-row loop takes about
        a millisecond a row; resources with a bulk path allow more (IMPORT_MAX_ROWS)."""
        return settings.IMPORT_MAX_ROWS_ROW_BY_ROW

    def before_import_row(self, row, **kwargs) -> None:
        # The key columns are read to find the existing row before any field is imported;
        # check them here so that their errors name the column like every other error.
        values = []
        for name in self.get_import_id_fields():
            field = self.fields[name]
            try:
                values.append(field.clean(row))
            except ValueError as error:
                raise ValidationError({field.column_name: str(error)}) from None
        shown = ", ".join(str(value) for value in values)
        number = kwargs.get("row_number")
        first, first_shown = self._seen_keys.setdefault(self.import_key(values), (number, shown))
        if first != number:
            column = self.get_import_id_fields()[0]
            raise ValidationError({column: self.duplicate_message(shown, first, first_shown)})

    def import_key(self, values: list) -> tuple:
        """The form in which two rows' keys are compared to find a key given twice."""
        return tuple(str(value) for value in values)

    def duplicate_message(self, key: str, first_row: int, first_key: str) -> str:
        return f"'{key}' appears twice in the file (first on row {first_row})."

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, NATIVE_WIDGETS):
            return escape_formula(value)
        return value

    def export_rows(
        self, queryset=None, *, export_fields: list[str] | None = None
    ) -> tuple[list[str], Iterable[Sequence], Sequence[str] | None]:
        """The header, the rows and the column kinds of an XLSX export, rows read lazily.

        The cells are those ``export()`` gives a binary format (``force_native_type``:
        numbers and dates stay numbers and dates). Kinds are None when the cells are
        Python values; a resource with a faster path may give text cells and their kinds
        (foundation.xlsx.TEXT / NUMBER).
        """
        kwargs = {"force_native_type": True, "export_fields": export_fields}
        self.before_export(queryset, **kwargs)
        if queryset is None:
            queryset = self.get_queryset()
        queryset = self.filter_export(queryset, **kwargs)
        headers = self.get_export_headers(selected_fields=export_fields)
        fields = self.get_export_fields(export_fields)
        rows = (
            [self.export_field(field, obj, **kwargs) for field in fields]
            for obj in self.iter_queryset(queryset)
        )
        return headers, rows, None

    def export_xlsx(
        self, queryset=None, *, export_fields: list[str] | None = None
    ) -> Iterator[bytes]:
        """Yield this resource's export as an XLSX file, streamed in constant memory.

        The same cells as ``export()`` written by django-import-export's XLSX format, but
        the first bytes leave before the first row is read and no row is kept.
        """
        headers, rows, kinds = self.export_rows(queryset, export_fields=export_fields)
        title = str(self._meta.model._meta.verbose_name_plural).capitalize()
        return xlsx_stream(headers, rows, kinds=kinds, title=title)


class PreviewOutdated(Exception):
    """The rows a file names changed between its preview and its confirm."""

    def __init__(self) -> None:
        super().__init__(
            "Some of the rows in the file were changed since the preview (by someone else, "
            "an order or another import). Nothing was imported; import the file again to "
            "preview what it changes now."
        )


def check_preview_state(result: Result, expected: str | None, error_class) -> None:
    """Report (and so roll back) an import confirmed after what its preview showed changed.

    ``expected`` is the preview's ``result.preview_state``; None imports without the check
    (the command line, which has no preview).
    """
    if expected is not None and getattr(result, "preview_state", None) != expected:
        result.append_base_error(error_class(PreviewOutdated()))


def keep_preview_sample(result: Result, limit: int = PREVIEW_ROWS) -> None:
    """Keep in ``result.rows`` only what a preview lists: the first ``limit`` rows of each
    kind that changes something (the totals keep counting every row)."""
    kept: Counter = Counter()
    rows = []
    for row in result.rows:
        kind = row.import_type
        if kind in PREVIEW_KINDS:
            kept[kind] += 1
            if kept[kind] <= limit:
                rows.append(row)
        elif kind not in RowResult.valid_import_types:
            rows.append(row)  # errors stay whole (they are bounded elsewhere)
    result.rows = rows


@dataclass
class ErrorSummary:
    """What went wrong in an import, bounded however many rows went wrong."""

    file: list[str]
    rows: int  # rows with at least one error
    lines: list[str]  # the first few, as "Row N, column C: reason"
    more: int  # further problems not in ``lines``
    # (column, reason, how many rows, the first few row numbers), most frequent first
    kinds: list[tuple[str, str, int, list[int]]] = dataclass_field(default_factory=list)


def error_summary(result: Result, *, shown: int | None = None) -> ErrorSummary:
    """Summarise the errors of ``result``: file errors, the first rows, counts by kind."""
    shown = settings.IMPORT_ERRORS_SHOWN if shown is None else shown
    lines = []
    for number, errors in result.row_errors():
        lines.extend(f"Row {number}: {_error_text(error.error)}" for error in errors)
    kinds: dict[tuple[str, str], list] = getattr(result, "error_kinds", None) or {}
    counted = bool(kinds)
    for invalid in result.invalid_rows:
        for column, messages in _field_errors(invalid.error):
            for message in messages:
                lines.append(f"Row {invalid.number}, column {column}: {message}")
                if not counted:
                    kind = kinds.setdefault((column, message), [0, []])
                    kind[0] += 1
                    if len(kind[1]) < 5:
                        kind[1].append(invalid.number)
    total = sum(count for count, _ in kinds.values()) + len(result.row_errors())
    ordered = sorted(kinds.items(), key=lambda item: (-item[1][0], item[1][1][:1]))
    return ErrorSummary(
        file=[_error_text(error.error) for error in result.base_errors],
        rows=result.totals.get("invalid", 0) or len(result.invalid_rows),
        lines=lines[:shown],
        more=max(total, len(lines)) - min(len(lines), shown),
        kinds=[(c, m, n, rows) for (c, m), (n, rows) in ordered[:shown]],
    )


def format_errors(result: Result, limit: int | None = None) -> list[str]:
    """Return the problems of an import as text lines, at most ``limit`` of them.

    File errors, then 'Row N, column C: reason' for the first rows, then how many more
    there are and, when there are many, the count of each kind of problem.
    """
    summary = error_summary(result, shown=limit)
    lines = [f"File: {message}" for message in summary.file] + summary.lines
    if summary.more:
        lines.append(f"… and {summary.more:,} more.")
        repeated = [kind for kind in summary.kinds if kind[2] > 1]
        for column, message, count, _ in repeated[:5]:
            lines.append(f"{count:,} rows, column {column}: {message}")
    return lines


def _field_errors(error: ValidationError) -> Iterable[tuple[str, list[str]]]:
    if hasattr(error, "error_dict"):
        yield from error.message_dict.items()
    else:
        yield "(row)", error.messages


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def unreadable_file_message(error: Exception) -> str:
    """Say in words why a file could not be read as the chosen format."""
    if isinstance(error, FileProblem):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        raw = error.object[:2] if isinstance(error.object, bytes) else b""
        if raw in (b"\xff\xfe", b"\xfe\xff"):
            kind = "UTF-16 text"
        else:
            kind = f"not UTF-8 text (byte {error.start} cannot be read)"
        return f"The file is {kind}. Save it as 'CSV UTF-8' and import it again."
    return (
        f"The file could not be read as the chosen format ({type(error).__name__}: "
        f"{str(error)[:120]}). Check that it is a CSV or XLSX file."
    )
