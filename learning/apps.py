from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LearningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"
    verbose_name = "SpineQuiz learning"

    def ready(self) -> None:
        from learning.roles import roles_after_migrate

        post_migrate.connect(roles_after_migrate, sender=self, dispatch_uid="learning.roles")
        # The kept vocabulary is dropped whenever a source, level or topic is saved.
        from learning import vocabulary  # noqa: F401
