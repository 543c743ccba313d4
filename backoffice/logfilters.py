"""Filters for the log: what a line about an ordinary refusal carries."""

import logging


class NoTracebackForClientErrors(logging.Filter):
    """Log a 4xx answer of ``django.request`` as its one line, without the traceback.

    Django logs a refused page ("Forbidden (Permission denied): /admin/…") or a missing
    one with the exception attached: forty lines of traceback for something the code did
    on purpose. Server errors (5xx) keep theirs: that is where the traceback is the news.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
