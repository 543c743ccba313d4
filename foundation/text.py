"""Checks of text that arrives from outside (addresses, query strings, headers)."""


def ascii_digits(value: object) -> bool:
    """Whether ``value`` is a key or a number written in ASCII digits.

    ``str.isdigit()`` alone also takes "²" and other digits that ``int()`` refuses: a
    check made with it let them through to a 500.
    """
    text = str(value)
    return text.isascii() and text.isdigit()
