from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.http import HttpRequest

from accounts.models import OutboundMail, Practice, SecurityEvent, Session, User


class ReliefUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "role", "practice", "timezone")


class ReliefUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = ReliefUserCreationForm
    form = ReliefUserChangeForm
    ordering = ("email",)
    list_display = ("email", "display_name", "role", "practice", "is_active", "is_staff")
    list_filter = ("role", "practice", "is_active", "is_staff")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "role", "practice", "timezone", "language")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "display_name",
                    "role",
                    "practice",
                    "timezone",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    filter_horizontal = ("groups",)


class PracticeMemberInline(admin.TabularInline):
    model = User
    fk_name = "practice"
    fields = ("email", "display_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    """Practices and who works in each (people are added by invitation, in the app)."""

    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    inlines = (PracticeMemberInline,)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "created_at", "last_refreshed_at", "expires_at", "revoked_at")
    list_filter = ("revoked_reason",)
    readonly_fields = tuple(f.name for f in Session._meta.fields)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    # Counted events (sign-in limits) are one row per address and window: see ``count``.
    list_display = ("created_at", "last_seen_at", "kind", "count", "user", "client_address")
    list_filter = ("kind",)
    readonly_fields = tuple(f.name for f in SecurityEvent._meta.fields)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    """What became of each mail (invitations, resets, reminders), for the operator. The body
    is never shown: until it is sent it holds a one-time code or link."""

    list_display = ("created_at", "to", "subject", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)
    search_fields = ("to",)
    exclude = ("body",)
    readonly_fields = tuple(f.name for f in OutboundMail._meta.fields if f.name != "body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an invitation points at its mail
