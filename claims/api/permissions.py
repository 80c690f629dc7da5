from rest_framework.permissions import BasePermission, DjangoModelPermissions

from claims.rules import may_enter


class RolePermissions(DjangoModelPermissions):
    """The admin's rule for the API: a staff account (see claims.rules.may_enter) with the model permission for
    the method — view to read, add to create, change to update, delete to delete — given by its role."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not may_enter(request.user):
            return False
        return super().has_permission(request, view)


class MayReadTheApi(BasePermission):
    """The schema and its docs: for those who may read through the API (a staff account with a role), as the
    resources themselves are; a logged-in account that may not use Claimtrail learns nothing about it."""

    def has_permission(self, request, view):
        return may_enter(request.user) and request.user.has_perm("claims.view_claim")


class MayLink(BasePermission):
    """Linking or dismissing a suggestion through the API: claims.link_claim, the rule every page asks (asked
    again by the services)."""

    def has_permission(self, request, view):
        return may_enter(request.user) and request.user.has_perm("claims.link_claim")
