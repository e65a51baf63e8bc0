"""The web session: Django's database sessions (SESSION_ENGINE) in accounts.Session, whose row also
holds the logged-in user's id, so that a page reads the session and its user in ONE statement
(accounts.identity.session_with_user) instead of one each (issue 17). Same expiry, written the same
way: sessions survive what they survived before (a restart, a Redis that is down or flushed), and a
session deleted at logout is gone on the very next request, in every process. Not cached in Redis
on purpose: a cache could hold a logged-out session a while longer."""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import identity

EXPIRE_BATCH = 5000  # sessions deleted per statement by clear_expired


class SessionStore(DatabaseSessionStore):
    # What load() read with the session: (user id, user or None), or None when it read no user.
    user_found: tuple | None = None

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        row.user_id = _user_id(data.get(SESSION_KEY))
        return row

    # The sync app never saves a session asynchronously; if something does, its row has no user id
    # and the next request reads the user by a statement of its own (still right, one more).

    def flush(self):
        self.user_found = None
        super().flush()

    def cycle_key(self):
        self.user_found = None
        super().cycle_key()

    def load(self):
        found = identity.session_with_user(self.session_key, timezone.now())
        if found is None:
            self._session_key = None  # as Django's: a missing or expired session starts afresh
            return {}
        data, user = found
        if user is not None:
            self.user_found = (user.pk, user)
        return self.decode(data)

    @classmethod
    def clear_expired(cls, budget_seconds: float = 60.0) -> int:
        """Sessions past their expiry deleted (Django's hook: `manage.py clearsessions` and the hourly
        `sessions-expire` task), a batch at a time so that no statement holds the table long — a
        deadline day leaves hundreds of thousands. The number deleted; stops after `budget_seconds`."""
        rows = cls.get_model_class().objects
        started, deleted = time.monotonic(), 0
        while time.monotonic() - started < budget_seconds:
            batch = list(
                rows.filter(expire_date__lt=timezone.now()).values_list("session_key", flat=True)[:EXPIRE_BATCH]
            )
            done, _ = rows.filter(session_key__in=batch).delete()
            deleted += done
            if done < EXPIRE_BATCH:
                break
        return deleted


def _user_id(value):
    from .models import User

    if value is None:
        return None
    try:
        return User._meta.pk.to_python(value)
    except ValidationError:
        return None
