#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    # Production is the default, as for the web server; a developer's machine says
    # DJANGO_SETTINGS_MODULE=backoffice.settings.development (make run does).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.production")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Read the settings before Django does: some commands (help, shell) swallow a
        # settings error and go on half-configured, others print a long traceback.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a setting is missing: say which, in one line
        sys.exit(f"Error: {error}")


if __name__ == "__main__":
    main()
