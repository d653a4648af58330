"""Public pages are rendered at most once a second for the anonymous readers of a language, and
never kept for (or shown to) a person who logged in."""
from flask import Flask, g, request

from services.web import data, views


def app_with(rendered):
    app = Flask(__name__)

    @app.before_request
    def who():
        g.actor = {"username": request.headers["X-Who"]} if "X-Who" in request.headers else None

    @app.route("/page")
    @views.public_page
    def page():
        rendered.append(request.headers.get("Accept-Language"))
        who = g.actor["username"] if g.actor else "anonymous"
        return f"{who} {request.headers.get('Accept-Language')} {len(rendered)}"
    return app


def test_a_page_is_rendered_once_for_the_anonymous_readers_of_a_language(monkeypatch):
    data.forget()
    now = [100.0]
    monkeypatch.setattr(data.time, "monotonic", lambda: now[0])
    rendered = []
    client = app_with(rendered).test_client()
    first = [client.get("/page", headers={"Accept-Language": "tr"}).text for _ in range(3)]
    assert first == ["anonymous tr 1"] * 3
    assert client.get("/page", headers={"Accept-Language": "fa"}).text == "anonymous fa 2"
    assert client.get("/page?lang=en", headers={"Accept-Language": "tr"}).text == "anonymous tr 3"
    now[0] += views.PAGE_SECONDS
    assert client.get("/page", headers={"Accept-Language": "tr"}).text == "anonymous tr 4"   # rendered again


def test_a_person_is_never_served_a_kept_page_nor_is_theirs_kept(monkeypatch):
    data.forget()
    monkeypatch.setattr(data.time, "monotonic", lambda: 200.0)
    rendered = []
    client = app_with(rendered).test_client()
    assert client.get("/page", headers={"Accept-Language": "tr"}).text == "anonymous tr 1"
    mine = [client.get("/page", headers={"Accept-Language": "tr", "X-Who": "ayse"}).text for _ in range(2)]
    assert mine == ["ayse tr 2", "ayse tr 3"]
    assert client.get("/page", headers={"Accept-Language": "tr"}).text == "anonymous tr 1"


def test_what_is_past_its_time_is_not_held_once_anything_else_is_kept(monkeypatch):
    data.forget()
    now = [300.0]
    monkeypatch.setattr(data.time, "monotonic", lambda: now[0])
    data.kept("big plan", lambda: {"indicators": list(range(1000))}, seconds=5)
    data.kept("index", lambda: [], seconds=1)
    now[0] += 5
    data.kept("another", lambda: [], seconds=5)
    assert set(data._cache) == {"another"}          # the plan and the index went when their time was up
    assert data.kept("another", lambda: ["made again"]) == []
