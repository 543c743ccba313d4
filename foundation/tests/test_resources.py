"""The strict import widgets and the formula escaping shared by every resource."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from hypothesis import given
from hypothesis import strategies as st

from foundation.resources import (
    BooleanWidget,
    CountWidget,
    DecimalWidget,
    SlugForeignKeyWidget,
    TextWidget,
    escape_formula,
    unescape_formula,
    unreadable_file_message,
)

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


# Formula escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_escape_formula_prefixes_a_quote_and_unescape_formula_undoes_it(start):
    value = f"{start}SUM(A1)"
    assert escape_formula(value) == f"'{value}"
    assert unescape_formula(escape_formula(value)) == value


@pytest.mark.parametrize("value", ["", "plain", "a=b", "12"])
def test_escape_formula_leaves_harmless_text_alone(value):
    assert escape_formula(value) == value
    assert unescape_formula(value) == value


@pytest.mark.parametrize("value", ["'quoted", "'", "'=1+1 and more", "''"])
def test_escape_formula_doubles_a_leading_quote_so_it_survives_the_round_trip(value):
    assert escape_formula(value) == f"'{value}"
    assert unescape_formula(escape_formula(value)) == value


@given(st.text(max_size=40))
def test_escape_formula_round_trip_keeps_every_value(value):
    assert unescape_formula(escape_formula(value)) == value
    assert not escape_formula(value).startswith(("=", "+", "-", "@", "\t", "\r"))


# TextWidget ------------------------------------------------------------------------------------


def test_text_widget_strips_spaces_and_unescapes_exported_formulas():
    widget = TextWidget()
    assert widget.clean("  Runner  ") == "Runner"
    assert widget.clean("'=1+1") == "=1+1"
    assert widget.clean(None) == ""


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "+A1"])
def test_text_widget_refuses_a_cell_a_spreadsheet_would_run(value):
    with pytest.raises(ValueError, match="spreadsheets run as a formula"):
        TextWidget().clean(value)


@pytest.mark.parametrize("value", ["+49 30 1234", "+1 (555) 123-4567", "-dash", "+"])
def test_text_widget_keeps_phone_numbers_and_signs(value):
    assert TextWidget().clean(value) == value


def test_text_widget_refuses_nul_blank_required_and_too_long():
    with pytest.raises(ValueError, match="NUL character"):
        TextWidget().clean("a\x00b")
    with pytest.raises(ValueError, match=re.escape("This value is required.")):
        TextWidget(required=True).clean("  ")
    with pytest.raises(ValueError, match=r"At most 3 characters allowed \(got 4\)."):
        TextWidget(max_length=3).clean("abcd")
    assert TextWidget(max_length=3).clean("abc") == "abc"


# DecimalWidget -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("19.99", Decimal("19.99")), ("19.990", Decimal("19.99")), ("1e2", Decimal("100")), ("0", 0)],
)
def test_decimal_widget_reads_numbers(text, value):
    assert DecimalWidget().clean(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("19,99", "is not a number (use a dot: 19.99)"),
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("-1", "Must be 0 or more, got -1."),
        ("100000000", "Must be at most 99999999.99"),
        ("1.999", "At most two decimal places, got 1.999."),
        ("", "This value is required."),
    ],
)
def test_decimal_widget_refuses_bad_values(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DecimalWidget().clean(text)


def test_decimal_widget_optional_blank_is_none():
    assert DecimalWidget(required=False).clean(" ") is None


# CountWidget ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 12 ", 12), ("3.0", 3), ("1e3", 1000)])
def test_count_widget_reads_whole_numbers(text, value):
    assert CountWidget().clean(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2.5", "'2.5' is not a whole number."),
        ("abc", "'abc' is not a whole number."),
        ("-4", "Must be 0 or more, got -4."),
        ("3000000000", "Must be at most 2000000000"),
        ("", "This value is required."),
    ],
)
def test_count_widget_refuses_bad_values(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CountWidget().clean(text)


# BooleanWidget -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("YES", True), ("true", True), ("y", True), ("0", False), ("No", False)],
)
def test_boolean_widget_reads_words_in_any_case(text, value):
    assert BooleanWidget().clean(text) is value


def test_boolean_widget_refuses_other_words_and_renders_1_or_0():
    with pytest.raises(
        ValueError, match=re.escape("'maybe' is not one of 1/0, true/false, yes/no.")
    ):
        BooleanWidget().clean("maybe")
    assert BooleanWidget(required=False).clean("") is None
    assert (BooleanWidget().render(True), BooleanWidget().render(False)) == (1, 0)
    assert BooleanWidget().render(None) == ""


# SlugForeignKeyWidget ----------------------------------------------------------------------


@pytest.mark.django_db
def test_slug_foreign_key_widget_looks_keys_up_once(django_assert_num_queries):
    editors = Group.objects.create(name="Editors")
    Group.objects.create(name="Writers")
    widget = SlugForeignKeyWidget(Group, "name")
    with django_assert_num_queries(1):
        assert widget.clean("Editors") == editors
        assert widget.clean(" Editors ") == editors
        # Groups are named roles in the back-office (backoffice/admin/users.py).
        with pytest.raises(ValueError, match=re.escape("Unknown role 'Nobody'.")):
            widget.clean("Nobody")
    Group.objects.create(name="Nobody")
    widget.reset()  # a new import reads the table again
    assert widget.clean("Nobody").name == "Nobody"


def test_slug_foreign_key_widget_blank_is_required_unless_optional():
    with pytest.raises(ValueError, match=re.escape("This value is required.")):
        SlugForeignKeyWidget(Group, "name").clean("")
    assert SlugForeignKeyWidget(Group, "name", required=False).clean("") is None


# Unreadable files -------------------------------------------------------------------------------


def test_unreadable_file_message_names_the_encoding():
    utf16 = UnicodeDecodeError("utf-8", b"\xff\xfes\x00k\x00", 0, 1, "invalid start byte")
    assert "The file is UTF-16 text." in unreadable_file_message(utf16)
    latin1 = UnicodeDecodeError("utf-8", b"Caf\xe9", 3, 4, "invalid continuation byte")
    message = unreadable_file_message(latin1)
    assert "not UTF-8 text (byte 3 cannot be read)" in message and "CSV UTF-8" in message
    other = unreadable_file_message(ValueError("bad zip"))
    assert "could not be read as the chosen format (ValueError: bad zip)" in other
