"""Admin lists filter with the apps' FilterSets: the API's parameters, values and queries, scoped choices."""

import datetime

import pytest

from portal.admin.filters import filterset_filter
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, register_worker
from workers.filters import WorkerFilterSet
from workers.services import worker_leave

WORKERS = "/admin/workers/worker/"


@pytest.fixture
def people(db):
    beilun = EnterpriseFactory(district=district("330206"))
    haishu = EnterpriseFactory(district=district("330203"))
    stays = register_worker(beilun, sequence=1, name="在职甲")
    leaves = register_worker(beilun, sequence=2, name="离职乙")
    worker_leave(by=None, worker_id=leaves.pk, left_on=datetime.date(2024, 5, 1))
    elsewhere = register_worker(haishu, sequence=3, name="海曙丙")
    return {"stays": stays, "leaves": leaves, "elsewhere": elsewhere, "beilun": beilun.district}


def names(client, query) -> set[str]:
    html = client.get(WORKERS, query).content.decode()
    return {name for name in ("在职甲", "离职乙", "海曙丙") if name in html}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_worker_list_takes_the_api_s_parameters(client, city_clerk, people):
    login(client, city_clerk)
    assert names(client, {"employed": "false"}) == {"离职乙"}
    assert names(client, {"employed": "true", "district": people["beilun"].pk}) == {"在职甲"}


def test_an_old_field_filter_link_still_filters(client, city_clerk, people):
    # Before the FilterSets, Django's own field filters wrote ?district__id__exact= and ?left_on__isnull=.
    login(client, city_clerk)
    assert names(client, {"district__id__exact": people["beilun"].pk}) == {"在职甲", "离职乙"}


def test_a_value_the_filterset_refuses_is_an_incorrect_filter_not_an_unfiltered_list(
    client, city_clerk, people
):
    login(client, city_clerk)
    for query in ({"employed": "maybe"}, {"district": "north"}, {"skill_level": "99"}):
        response = client.get(WORKERS, query)
        assert response.status_code == 302 and response.url.endswith("?e=1"), query


def test_the_sidebar_offers_a_district_clerk_only_their_district(client, beilun_clerk, people):
    html = login(client, beilun_clerk).get(WORKERS).content.decode()
    assert f"?district={people['beilun'].pk}" in html
    assert "海曙区" not in html
    assert "?employed=false" in html  # the FilterSet's value, as the API takes it


def test_a_filter_the_filterset_does_not_have_is_refused_when_the_admin_is_built():
    with pytest.raises(ValueError, match="WorkerFilterSet has no filter 'level'"):
        filterset_filter(WorkerFilterSet, "level")
