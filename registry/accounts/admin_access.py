"""Who may use a back-office (Django admin) page: by role, whatever Django permissions say."""

from registry.accounts import access


class MunicipalAdminOnly:
    """Municipal admins (and superusers) see these pages."""

    def has_module_permission(self, request):
        return access.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_admin(request.user)


class MunicipalAdminMaintains(MunicipalAdminOnly):
    """…and maintain their rows."""

    def has_add_permission(self, request):
        return access.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.is_admin(request.user)
