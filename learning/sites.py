"""The admin site: the fact base's, for content editors only."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

EDITOR_PERMISSION = "learning.edit_factbase"


class FactBaseAdminSite(admin.AdminSite):
    site_header = "SpineQuiz fact base"
    site_title = "SpineQuiz fact base"
    index_title = "The fact base"
    # The fact list is wide (subject, relation, object, status, confidence, yield,
    # questions, beside its filters) and the site's dozen models are a click away on the
    # index and in the breadcrumbs: the sidebar's quarter of a 1280 px screen goes to the
    # lists, and the keyboard has twenty fewer stops before the content.
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        # Only content editors: other staff, instructors and learners are refused.
        user = request.user
        return user.is_active and user.is_staff and user.has_perm(EDITOR_PERMISSION)


class SpineQuizAdminConfig(AdminConfig):
    """django.contrib.admin, whose default site lets in content editors only."""

    default_site = "learning.sites.FactBaseAdminSite"
