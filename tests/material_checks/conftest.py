from tests.applications.conftest import draft, logged_in, person, post_file, upload, valid_form  # noqa: F401
