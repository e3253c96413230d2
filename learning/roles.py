"""Roles are auth Groups; each group holds the permissions of its role.

The groups and their permissions are made after every `migrate` (a `post_migrate`
handler, connected in `LearningConfig.ready`); sign-up and the demo only fetch the group.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

from learning.models import Role

# Permission codenames per role, as "app_label.codename".
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.LEARNER: [],
    Role.INSTRUCTOR: [
        "learning.view_question",
        # add_course is the instructor pages' gate; which courses is up to the course's
        # instructors (Course.objects.taught_by).
        "learning.add_course",
        "learning.change_course",
        "learning.view_course",
    ],
    Role.CONTENT_EDITOR: [
        f"learning.{action}_{model}"
        for model in (
            "source",
            "topic",
            "entitykind",
            "level",
            "entity",
            "relation",
            "fact",
            "citation",
            "arguablepair",
        )
        for action in ("view", "add", "change", "delete")
    ]
    + [
        "learning.view_question",
        "learning.edit_factbase",
        "learning.view_problemreport",
        "learning.change_problemreport",
    ],
}


def roles_ensure(using: str = DEFAULT_DB_ALIAS) -> dict[Role, Group]:
    """Create the role groups and give each exactly its permissions."""
    groups = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.append(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)
        groups[role] = group
    return groups


def roles_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """`post_migrate` handler: the app's permissions exist by now (django.contrib.auth
    makes them in its own handler, connected first), so the groups can hold them."""
    roles_ensure(using)


def role_group(role: Role) -> Group:
    """The group of a role, as `migrate` made it."""
    return Group.objects.get(name=role.value)
