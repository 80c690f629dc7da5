"""API tokens in the admin: each person creates and revokes their own (a token acts with its owner's role)."""

from django.contrib import admin
from rest_framework.authtoken import admin as authtoken_admin  # noqa: F401  (registers TokenProxy, replaced below)
from rest_framework.authtoken.models import TokenProxy

from claims.rules import may_enter

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "created"]
    fields = ["key", "user", "created"]
    readonly_fields = ["key", "user", "created"]
    ordering = ["-created"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # Nothing to fill in: say what saving does, so the add page is not an empty form.
            note = "Save to create your API token. It acts with your role; a new token replaces (revokes) your old one."
            return [(None, {"fields": (), "description": note})]
        return super().get_fieldsets(request, obj)

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def has_module_permission(self, request):
        return may_enter(request.user)

    def has_view_permission(self, request, obj=None):
        return may_enter(request.user) and (obj is None or obj.user_id == request.user.pk or request.user.is_superuser)

    def has_add_permission(self, request):
        return may_enter(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # One token a person (rest_framework.authtoken's model): a new one replaces, and so revokes, the old.
        TokenProxy.objects.filter(user=request.user).delete()
        obj.user = request.user
        super().save_model(request, obj, form, change)
