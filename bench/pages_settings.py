"""Settings for bench/pages_bench.py's gunicorn: the project's, plus a trivial JSON view (bench/pages_urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
