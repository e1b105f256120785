from portal.models import District


def test_the_ten_districts_are_loaded(db):
    assert District.objects.count() == 10
    assert District.objects.get(code="330206").name == "北仑区"
