"""Logging filters that keep personal data out of log lines."""

import logging
import re

# From "?" to the next space or quote: the query string inside a request line or a URL.
_QUERY = re.compile(r"\?[^\s\"']*")


def without_query_string(text: str) -> str:
    return _QUERY.sub("", text)


class DropQueryStrings(logging.Filter):
    """Cut query strings out of request lines: an admin search (?q=) may be an ID number or a phone.

    For Django's development server (django.server); gunicorn's access log leaves them out through
    its format (gunicorn.conf.py).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_query_string(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(without_query_string(a) if isinstance(a, str) else a for a in record.args)
        return True
