"""Announcements ("What's new") that staff publish and each person sees once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisation.models import Role


class Announcement(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    video_url = models.URLField(_("training video link"), blank=True)
    for_advisors = models.BooleanField(_("for advisors"), default=True)
    for_managers = models.BooleanField(_("for agency managers"), default=True)
    for_staff = models.BooleanField(_("for head-office staff"), default=False)
    published_at = models.DateTimeField(
        _("published at"),
        default=timezone.now,
        help_text=_("Shown from this moment on; set a future date to schedule it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def audience_field(role: str) -> str | None:
        """The flag that targets ``role``, or None for a person without a role."""
        fields: dict[str, str] = {
            Role.ADVISOR: "for_advisors",
            Role.MANAGER: "for_managers",
            Role.STAFF: "for_staff",
        }
        return fields.get(role)


class Dismissal(models.Model):
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="dismissals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="unique_dismissal"),
        ]
        verbose_name = _("dismissal")
        verbose_name_plural = _("dismissals")

    def __str__(self) -> str:
        return f"{self.user} — {self.announcement}"
