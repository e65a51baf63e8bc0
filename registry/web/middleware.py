import time
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render, resolve_url
from django.template import loader
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

LAST_SEEN_KEY = "_last_seen"
IDLE_REFRESH_SECONDS = 60


class IdleTimeoutMiddleware:
    """The web session's idle timeout (SESSION_COOKIE_AGE, 30 minutes) without writing the session on
    every request. The session holds when it was last seen, refreshed only when that is more than
    IDLE_REFRESH_SECONDS old: a request writes the session at most once a minute (and the cookie
    and the session row are renewed with it), and a session idle for the timeout is ended here,
    server side, whatever its row and cookie say. The timeout is thus exact to within a minute
    (29–30 minutes after the last request). Right after SessionMiddleware, before anything reads
    the user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        now = int(time.time())
        if session.session_key is not None:  # a cookie came: is its session idle too long?
            seen = session.get(LAST_SEEN_KEY)
            if seen is not None and now - seen >= settings.SESSION_COOKIE_AGE:
                session.flush()  # logged out, as an expired session would be
        response = self.get_response(request)
        if session.accessed:
            seen = session.get(LAST_SEEN_KEY)
            if (seen is None or now - seen >= IDLE_REFRESH_SECONDS) and any(
                key != LAST_SEEN_KEY for key in session.keys()
            ):
                session[LAST_SEEN_KEY] = now  # modified: SessionMiddleware saves it and renews the cookie
        return response


class ForcePasswordChangeMiddleware:
    """Staff created with a one-time initial password must set their own before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The path first: the API answers password_change_required itself, and needs no session user.
        if not request.path.startswith(("/static/", "/api/", "/healthz")):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.must_change_password:
                if request.path not in {reverse("web:password_change"), reverse("web:logout")}:
                    return redirect("web:password_change")
        return self.get_response(request)


# Everything under these paths is about one person (or answers with a token), whoever asks.
PERSONAL_PATH_PREFIXES = (
    "/api/v1/me",
    "/api/v1/auth/",
    "/api/v1/attachments/",
    "/api/v1/review/",
    "/api/v1/staff/",
    "/account/",
    "/apply/",
    "/record/",
    "/staff/",
    "/admin/",
)


class NoStorePersonalDataMiddleware:
    """Personal data must not stay in a shared computer's browser cache or a proxy: every answer to a
    logged-in caller (session or bearer token) and every answer under a personal path is sent with
    `Cache-Control: no-store` (plus Django's other never-cache headers). Public pages and reference
    data for anonymous visitors stay cacheable; static files never reach here (WhiteNoise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # the API's bearer auth sets it during the view
        if (
            (user is not None and user.is_authenticated)
            or "HTTP_AUTHORIZATION" in request.META
            or request.path_info.startswith(PERSONAL_PATH_PREFIXES)
        ):
            add_never_cache_headers(response)
        return response


class LoginAgainAfterPostMiddleware:
    """A form sent after the session ended (idle timeout, logged out in another tab) is answered by
    login_required with a redirect to the login page whose `next` is the form's POST-only address;
    after logging in the browser would GET it and meet a bare 405. Such a redirect is sent back to
    the page the form was on instead (its Referer, when it is ours), with a word that the form was
    not saved and must be sent again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and response.status_code == 302 and self._to_login(response["Location"]):
            from django.contrib import messages
            from django.contrib.auth.views import redirect_to_login
            from django.utils.http import url_has_allowed_host_and_scheme

            referer = request.META.get("HTTP_REFERER", "")
            came_from = urlsplit(referer)
            ours = referer and url_has_allowed_host_and_scheme(
                referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            back = came_from.path + (f"?{came_from.query}" if came_from.query else "") if ours else "/"
            messages.warning(request, "登录已超时或已退出，刚才提交的内容没有保存。请重新登录后再提交一次。")
            return redirect_to_login(back)
        return response

    @staticmethod
    def _to_login(location: str) -> bool:
        """login_required's redirect: to the login page with the address to come back to (a view
        that sends a person to log in after its own work, e.g. a password reset, names none)."""
        to = urlsplit(location)
        return to.path == resolve_url(settings.LOGIN_URL) and "next" in parse_qs(to.query)


class ChineseErrorPagesMiddleware:
    """With DEBUG on (the demo runs so), Django answers a missing page or a crash with its English
    technical pages. People get the same Chinese 404/500 pages as in production instead; the
    traceback still reaches the log (django.request logs before the page is made). The API keeps
    its problem+json answers. A POST-only page opened by its address (Django's 405 has an empty
    body, in production too) gets a Chinese page saying so. Last in MIDDLEWARE: it sees the view's answer before the headers
    (CSP, no-store) are added by the others."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not request.path_info.startswith("/api/"):
            # A page that only takes a form's POST, opened by its address: Django answers with an
            # empty body in production too.
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        if (
            settings.DEBUG
            and response.status_code in (404, 500)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path_info.startswith(("/api/", "/static/"))
        ):
            if response.status_code == 404:
                return render(request, "404.html", status=404)
            return HttpResponseServerError(loader.get_template("500.html").render())
        return response
