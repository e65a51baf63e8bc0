from tests.stats.conftest import make_person  # noqa: F401
