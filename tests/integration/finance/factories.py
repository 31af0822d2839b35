"""Users and groups for the finance tests."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from backoffice import roles

PASSWORD = "finance-pass-123"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = roles.FINANCE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for role in extracted or ():
            self.groups.add(GroupFactory(name=role))
        if create:
            self.save()


def finance_user(**kwargs: object) -> User:
    """A signed-in-able member of the finance role (staff, so the admin opens for them)."""
    return UserFactory(roles=[roles.FINANCE], is_staff=True, **kwargs)
