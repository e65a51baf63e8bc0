from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.utils.functional import SimpleLazyObject

from . import identity


def _get_user(request):
    """Django's auth.get_user (the backend, the session hash check, AnonymousUser) with the user the
    session store read with the session row: the backend takes it instead of reading the user again
    when the session names that same user (accounts.identity.user_by_id)."""
    if not hasattr(request, "_cached_user"):
        session = request.session
        session.get(auth.SESSION_KEY)  # loads the session, and with it its user
        with identity.session_user(getattr(session, "user_found", None)):
            request._cached_user = auth.get_user(request)
        # From now on the user itself, not the lazy wrapper: every attribute read through the
        # wrapper raises and catches an AttributeError first (some 300 on the review queue's page).
        # Only while request.user is still the wrapper: login(), logout() or a bearer token may
        # have set another user since, and a kept reference to the wrapper must not undo that.
        if request.__dict__.get("user") is request.__dict__.get("_lazy_user"):
            request.user = request._cached_user
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """django.contrib.auth's, with the session's user read in the session's own statement (issue 17)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = request._lazy_user = SimpleLazyObject(lambda: _get_user(request))
