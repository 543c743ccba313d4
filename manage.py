#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    # Production is the default, as for the web server; a developer's machine says
    # DJANGO_SETTINGS_MODULE=backoffice.settings.development (make run does).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.production")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a setting is missing: say which, in one line
        sys.exit(f"Error: {error}")


if __name__ == "__main__":
    main()
