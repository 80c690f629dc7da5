"""Permissions held per project: a person's role in a project (sources.models.Membership) grants the stored
permissions of the role's group in that project only.

`user.has_perm("claims.change_claim", claim)` asks the role held in the claim's project (common.projects.project_of);
without an object it asks whether any of the person's roles grants it (the admin's "may this person see the
claims list at all"; the list itself then shows only their projects' rows, through `visible_to`). A group given
to a person directly grants nothing: roles are held in a project. Permissions given to a person directly are
granted everywhere, as Django's ModelBackend gives them, and a superuser holds every permission.
"""

from django.contrib.auth.backends import ModelBackend

from common.projects import project_of


class ProjectRoleBackend(ModelBackend):
    def get_group_permissions(self, user_obj, obj=None):
        return set()  # a group held outside a project grants nothing

    def project_permissions(self, user_obj) -> dict[int, set[str]]:
        """{project id: the permissions of the role held there}, read once per user object (one query)."""
        if not hasattr(user_obj, "_project_perm_cache"):
            from sources.models import Membership

            held: dict[int, set[str]] = {}
            rows = Membership.objects.filter(user=user_obj).values_list(
                "project_id", "role__permissions__content_type__app_label", "role__permissions__codename"
            )
            for project_id, app_label, codename in rows:
                permissions = held.setdefault(project_id, set())
                if codename is not None:
                    permissions.add(f"{app_label}.{codename}")
            user_obj._project_perm_cache = held
        return user_obj._project_perm_cache

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        own = self.get_user_permissions(user_obj)
        by_project = self.project_permissions(user_obj)
        project = None if obj is None else project_of(obj)
        if project is None:
            return own.union(*by_project.values())
        return own | by_project.get(project, set())

    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)
