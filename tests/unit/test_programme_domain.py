"""Rules of activities, projects and the yearly documents without RabbitMQ or a store."""
from datetime import date

import pytest

from services.programme import domain, schemas
from shared.errors import InvalidInput
from shared.validation import Problems, load

PLAN = {
    "id": "korfez", "title": {"tr": "Körfez Stratejik Planı"}, "calendar": "gregorian",
    "period": {"start": 2025, "end": 2029},
    "coordinator": "balikesir", "members": ["ayvalik", "edremit"],
    "themes": [{"code": "T1", "name": "Çevre"}, {"code": "T5", "name": "Turizm"}],
    "goals": [{"code": "A1", "title": "Çevre", "theme": "T1", "serves": None, "strategies": ["S1.1"]},
              {"code": "A5", "title": "Turizm", "theme": "T5", "serves": None, "strategies": []}],
    "objectives": [
        {"code": "H1.3", "goal": "A1", "municipality": "edremit", "title": "Atık", "responsible_unit": "Temizlik",
         "costs": {"2025": "250000.00", "2026": "300000.00"}},
        {"code": "H5.1", "goal": "A5", "municipality": "edremit", "title": "Turizm", "responsible_unit": "Kültür",
         "costs": {"2026": "300000.00"}},
        {"code": "H1.1", "goal": "A1", "municipality": "ayvalik", "title": "Atık", "responsible_unit": "Temizlik",
         "costs": {"2026": "300000.00"}},
    ],
    "indicators": [{"code": "PG1.3.1", "objective": "H1.3", "municipality": "edremit", "name": "Kompost",
                    "unit": "ton", "baseline": 0, "targets": {"2026": 16000}}],
}
TODAY = date(2026, 11, 30)


def project(**changes):
    body = {"code": "P1", "title": {"tr": "Kompost tesisi"}, "kind": "project", "objective": "H1.3",
            "municipality": "edremit", "responsible_unit": "Temizlik İşleri",
            "partners": [{"name": "Balıkesir Üniversitesi", "kind": "university"}],
            "horizon": "mid", "priority": 2, "start": "2025-03-01", "end": "2027-12-31",
            "budget": {"2025": "100000.00", "2026": "200000.00"},
            "funding": [{"source": "İller Bankası", "amount": "300000.00"}],
            "milestones": [{"title": "İhale", "due": "2025-06-30", "done_on": "2025-06-20"},
                           {"title": "Açılış", "due": "2027-06-30"}]}
    body.update(changes)
    return schemas.as_stored(load(schemas.ProjectSchema(), body))


def problems_of(data, plan=PLAN):
    return domain.project_problems(data, plan, Problems()).errors


def test_a_project_that_fits_its_plan_has_no_problem():
    assert problems_of(project()) == {}


def test_an_objective_of_another_municipality_is_refused_unless_it_is_a_partner():
    assert list(problems_of(project(objective="H1.1"))) == ["objective"]
    partnered = project(objective="H1.1", partners=[{"name": "ayvalik", "kind": "municipality"}])
    assert problems_of(partnered) == {}


def test_a_budget_year_outside_the_plan_is_refused_at_its_year():
    errors = problems_of(project(budget={"2026": "1.00", "2031": "5.00"}))
    assert list(errors) == ["budget.2031"]


def test_a_milestone_after_the_end_is_refused_at_its_due_date():
    errors = problems_of(project(milestones=[{"title": "Açılış", "due": "2028-01-15"}]))
    assert list(errors) == ["milestones[0].due"]


@pytest.mark.parametrize("changes, field", [
    ({"objective": "H9.9"}, "objective"), ({"municipality": "izmir"}, "municipality"),
    ({"goal": "A5"}, "goal"), ({"end": "2024-12-31", "milestones": []}, "end"),
    ({"objective": None, "goal": None}, "objective"), ({"strategy": "S9"}, "strategy"),
    ({"partners": [{"name": "bornova", "kind": "municipality"}]}, "partners[0].name"),
])
def test_other_misfits_name_their_field(changes, field):
    assert field in problems_of(project(**changes))


def test_the_shape_is_checked_before_the_rules():
    with pytest.raises(InvalidInput) as refused:
        load(schemas.ProjectSchema(), {**project(), "priority": 7, "horizon": "soon"})
    assert {"priority", "horizon"} <= set(refused.value.errors)


def report(period, percent=10, spent="0.00"):
    return {"period": period, "percent": percent, "spent": spent, "note": None}


def test_spending_in_a_period_not_begun_is_refused_at_spent():
    problems = Problems()
    domain.report_problems(PLAN, project(), report("2027-H1", spent="10.00"), TODAY, problems)
    assert list(problems.errors) == ["spent"]
    problems = Problems()
    domain.report_problems(PLAN, project(), report("2027-H1"), TODAY, problems)
    assert list(problems.errors) == ["period"]
    problems = Problems()
    assert domain.report_problems(PLAN, project(), report("2026-H2", spent="10.00"), TODAY, problems).key == "2026-H2"
    assert not problems


def test_a_period_outside_the_plan_or_before_the_project_is_refused():
    for key in ("2031-H1", "2026-H3"):
        problems = Problems()
        domain.report_problems(PLAN, project(), report(key), TODAY, problems)
        assert list(problems.errors) == ["period"], key
    problems = Problems()
    domain.report_problems(PLAN, project(start="2026-09-01"), report("2026-H1"), TODAY, problems)
    assert list(problems.errors) == ["period"]


def test_a_period_reported_again_replaces_its_report():
    reports = domain.with_report([report("2026-H1", 10), report("2025-H2", 5)], report("2026-H1", 30))
    assert [(r["period"], r["percent"]) for r in reports] == [("2025-H2", 5), ("2026-H1", 30)]


def test_an_overdue_milestone_raises_one_alert_and_clears_when_done():
    milestones = [{"title": "İhale", "due": "2026-06-30", "done_on": None}]
    alerts, missed, met = domain.reconcile_alerts([], milestones, TODAY, "t1")
    assert [a["status"] for a in alerts] == ["open"] and [m["title"] for m in missed] == ["İhale"] and not met
    again, missed, met = domain.reconcile_alerts(alerts, milestones, TODAY, "t2")
    assert again == alerts and not missed and not met            # raised once
    done = [{**milestones[0], "done_on": "2026-12-01"}]
    closed, missed, met = domain.reconcile_alerts(alerts, done, TODAY, "t3")
    assert [a["status"] for a in closed] == ["closed"] and [m["title"] for m in met] == ["İhale"] and not missed
    assert domain.reconcile_alerts([], [{"title": "x", "due": "2026-12-31", "done_on": None}], TODAY, "t")[0] == []


def test_the_portfolio_ranks_by_horizon_then_priority():
    items = [{"code": c, "horizon": h, "priority": p} for c, h, p in
             [("L1", "long", 1), ("M2", "mid", 2), ("S3", "short", 3), ("M1", "mid", 1), ("S1", "short", 1)]]
    assert [p["code"] for p in domain.ranked(items)] == ["S1", "S3", "M1", "M2", "L1"]


def test_status_follows_start_and_reports():
    assert domain.status(project(start="2027-01-01", milestones=[]), TODAY) == "planned"
    assert domain.status(project(), TODAY) == "ongoing"
    assert domain.status({**project(), "reports": [report("2026-H1", 100)]}, TODAY) == "completed"


def with_id(data, pid="pj_1"):
    return {**data, "id": pid, "reports": []}


def test_budget_by_year_shows_the_mismatch_against_the_cost_estimate():
    one = with_id(project(budget={"2025": "250000.00", "2026": "120000.50"}))
    two = with_id(project(code="P2", budget={"2026": "100000.00"}), "pj_2")
    rows = {r["objective"]: r for r in domain.budget_by_year(PLAN, [one, two], "edremit")["objectives"]}
    assert set(rows) == {"H1.3", "H5.1"}
    assert rows["H1.3"]["years"]["2025"] == {"cost": "250000.00", "budget": "250000.00", "difference": "0.00",
                                             "mismatch": False}
    assert rows["H1.3"]["years"]["2026"] == {"cost": "300000.00", "budget": "220000.50", "difference": "-79999.50",
                                             "mismatch": True}
    assert rows["H1.3"]["mismatch"] and rows["H1.3"]["projects"] == ["P1", "P2"]


def test_the_programme_of_a_year_sets_costs_budgets_and_spending_side_by_side():
    one = {**with_id(project()), "reports": [report("2026-H1", 20, "50000.00"), report("2026-H2", 40, "25000.25"),
                                            report("2025-H2", 10, "90000.00")]}
    document = domain.programme(PLAN, [one], 2026, "edremit", TODAY)
    assert [o["code"] for o in document["objectives"]] == ["H1.3", "H5.1"]
    assert document["objectives"][0]["indicators"][0]["target"] == 16000
    [line] = document["projects"]
    assert (line["budget"], line["spent"], line["remaining"], line["percent"]) == \
        ("200000.00", "75000.25", "124999.75", 40)
    assert document["resources"]["cost_estimate"] == "600000.00"
    assert document["resources"]["project_budget"] == "200000.00"
    assert document["resources"]["difference"] == "-400000.00"
    assert document["resources"]["funding"] == {"İller Bankası": "300000.00"}
    report_ = domain.activity_report(PLAN, [one], 2026, "edremit",
                                     {"indicators": [{"code": "PG1.3.1", "C": 12000, "D": 75.0, "band": "x"}]}, TODAY)
    indicator = report_["objectives"][0]["indicators"][0]
    assert (indicator["result"], indicator["realization"]) == (12000, 75.0)
    assert report_["spending"]["spent"] == "75000.25" and report_["spending"]["difference"] == "-124999.75"


def test_the_portfolio_filters_by_the_theme_and_goal_served_through_objective_or_strategy():
    by_objective = {**with_id(project()), "status": "ongoing"}                       # H1.3, goal A1, theme T1
    by_strategy = {**with_id(project(code="P2", objective=None, strategy="S1.1")), "status": "ongoing"}
    tourism = {**with_id(project(code="P3", objective="H5.1")), "status": "ongoing"}
    assert [domain.goal_served(PLAN, p) for p in (by_objective, by_strategy, tourism)] == ["A1", "A1", "A5"]
    assert [domain.theme_served(PLAN, p) for p in (by_objective, by_strategy, tourism)] == ["T1", "T1", "T5"]
    projects = [by_objective, by_strategy, tourism]
    assert [p["code"] for p in projects if domain.in_portfolio(PLAN, p, {"theme": "T1"})] == ["P1", "P2"]
    assert [p["code"] for p in projects if domain.in_portfolio(PLAN, p, {"goal": "A5", "horizon": "mid"})] == ["P3"]
    assert list(domain.filter_problems(PLAN, {"theme": "T9", "goal": "A9"}, Problems()).errors) == ["theme", "goal"]


def test_a_programme_is_adopted_by_a_decision_dated_neither_in_the_future_nor_after_its_year():
    def problems(day):
        return list(domain.adoption_problems(PLAN, "2026", {"decision_no": "88", "decision_date": day}, TODAY,
                                             Problems()).errors)
    assert problems(date(2025, 11, 14)) == [] and problems(TODAY) == []
    assert problems(date(2026, 12, 1)) == ["decision_date"]                                    # after today
    assert list(domain.adoption_problems(PLAN, "2025", {"decision_no": "88", "decision_date": date(2026, 1, 5)},
                                         TODAY, Problems()).errors) == ["decision_date"]      # after 2025


def test_a_link_to_the_bank_names_a_record_of_the_plans_bank():
    records = [{"id": "bnk_1", "kind": "need"}, {"id": "bnk_2", "kind": "capacity"}]
    assert domain.bank_problems(project(bank=["bnk_2", "bnk_1"]), records, Problems()).errors == {}
    assert list(domain.bank_problems(project(bank=["bnk_1", "bnk_9"]), records, Problems()).errors) == ["bank[1]"]
