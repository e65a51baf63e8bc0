import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "会计人员信息管理系统 API"
    assert "/api/v1/regions" in schema["paths"]


@pytest.mark.parametrize("path", ["/api/docs", "/api/v1/docs"])
def test_interactive_docs_use_local_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html


def test_reviewing_units_of_beijing(client):
    results = client.get("/api/v1/regions", {"reviewing_in": "110000"}).json()["results"]
    assert len(results) == 18
    assert {"code": "11KF00", "name": "北京经济技术开发区"}.items() <= results[-1].items()


def test_children_and_retired_codes(client):
    current = {r["code"] for r in client.get("/api/v1/regions", {"parent": "110100"}).json()["results"]}
    everything = {
        r["code"]
        for r in client.get("/api/v1/regions", {"parent": "110100", "include_retired": True}).json()["results"]
    }
    assert "110105" in current and "110103" not in current
    assert "110103" in everything


def test_code_table_and_problem_json_for_unknown_ones(client):
    levels = client.get("/api/v1/codes/qualification_level").json()["results"]
    assert [c["code"] for c in levels] == ["junior", "intermediate", "senior", "professor"]
    response = client.get("/api/v1/codes/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["code"] == "unknown_code_table" and body["errors"] == []
    assert set(body) >= {"type", "title", "status", "detail", "errors"}


def test_unknown_region_is_a_problem_404(client):
    response = client.get("/api/v1/regions/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_invalid_query_parameter_is_a_problem_400(client):
    response = client.get("/api/v1/regions", {"include_retired": "maybe"})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "include_retired"
    assert body["errors"][0]["code"] == "invalid_format"
