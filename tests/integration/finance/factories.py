"""Users and groups for the finance tests."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from kernel import roles

PASSWORD = "finance-pass-123"


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = roles.FINANCE


def _add_roles(user: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
    """UserFactory(roles=[...]): the built user joins each role's group."""
    for role in extracted or ():
        user.groups.add(GroupFactory.create(name=role))
    if create:
        user.save()


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    roles = factory.PostGeneration(_add_roles)


def finance_user(**kwargs: object) -> User:
    """A signed-in-able member of the finance role (staff, so the admin opens for them)."""
    return UserFactory.create(roles=[roles.FINANCE], is_staff=True, **kwargs)
