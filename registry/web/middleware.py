from django.shortcuts import redirect
from django.urls import reverse


class ForcePasswordChangeMiddleware:
    """Staff created with a one-time initial password must set their own before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("web:password_change"), reverse("web:logout")}
            if request.path not in allowed and not request.path.startswith(("/static/", "/api/", "/healthz")):
                return redirect("web:password_change")
        return self.get_response(request)
