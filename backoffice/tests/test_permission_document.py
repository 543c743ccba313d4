"""docs/permissions.md is generated from the permission matrix and kept current."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from backoffice.permissions import ACTORS, MATRIX, as_document

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "permissions.md"


def test_permissions_document_is_current():
    assert DOCUMENT.read_text() == as_document(), (
        "docs/permissions.md is out of date: run `python manage.py permission_matrix`"
    )


def test_permissions_document_has_one_row_per_cell_saying_who_may():
    header, rows = None, {}
    for line in as_document().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "what":
            header = cells[1:]
        elif line.startswith("| ") and ": " in cells[0]:
            rows[cells[0]] = cells[1:]
    assert header == ACTORS
    assert len(rows) == len(MATRIX)
    for (subject, operation), allowed in MATRIX.items():
        expected = ["yes" if actor in allowed else "-" for actor in ACTORS]
        assert rows[f"{subject}: {operation}"] == expected, (subject, operation)


def test_permission_matrix_command_prints_the_document():
    out = StringIO()
    call_command("permission_matrix", "--stdout", stdout=out)
    assert out.getvalue() == as_document()
