"""A hot query compiled once: the same rows as the ORM's own query, for any value bound in."""

from __future__ import annotations

import pytest
from django.db.models import Q

from flowbuilder.core.compiled_query import CompiledQuery
from flowbuilder.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def _by_slug(slug: str):
    return Organisation.objects.filter(slug=slug).values_list("name")


def test_each_call_binds_its_own_value_into_the_compiled_statement(django_assert_num_queries):
    Organisation.objects.create(name="Acme", slug="acme")
    Organisation.objects.create(name="Globex", slug="globex")
    query = CompiledQuery(_by_slug, slug="\x00slug")
    with django_assert_num_queries(3):
        assert query.fetchone(slug="acme") == ("Acme",)
        assert query.fetchone(slug="globex") == ("Globex",)
        assert query.fetchone(slug="initech") is None


def test_a_stand_in_that_is_not_exactly_one_parameter_is_refused():
    twice = CompiledQuery(lambda n: Organisation.objects.filter(Q(pk=n) | Q(pk=n)), n=-1)
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.sql(n=1)
