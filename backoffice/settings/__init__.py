"""Settings of the back-office, one module per purpose (each starts from ``base``).

- ``production``: what gunicorn serves (the default of wsgi.py, asgi.py and manage.py);
  SECRET_KEY must come from the environment.
- ``development``: ``make run`` and a developer's management commands (DEBUG on, a
  marked development key, plain HTTP).
- ``test``: the test suite (pyproject.toml), close to production but plain HTTP.
"""
