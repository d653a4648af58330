"""The workspace: a logged-in person's home, the coordinator's region dashboard (with the members'
contributions, the plan's versions and what changed between them, and its adoption with the council
decision), a consultation's inputs to triage, and a district's page: its readings of a period
(entered in a form or uploaded as the readings workbook, approved, rejected) and its contribution as
the command line's workbook, downloaded and uploaded back.

Every read and write goes through the gateway's RPC pool as the person (``g.actor``), so the
services' one access rule set decides what each may see and do; nothing here is kept between
requests. Every form works without JavaScript and carries its CSRF token.
"""
import datetime
import re
import secrets
from urllib.parse import urlencode

from flask import Response, abort, flash, g, get_flashed_messages, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from shared.roles import is_coordinator, municipalities_of

from ..consultation.schemas import INPUT_KINDS
from ..gateway.http import call
from ..plan_registry.domain import written_here
from . import data, i18n
from . import changes
from . import consultation_form as cf
from . import frame_form as ff
from . import readings_form as rf
from . import readings_upload, workbook
from .account import login_required
from .views import blp

DECISIONS = ("accepted", "rejected", "merged")
EDITABLE = ("draft", "consultation", "revising")   # the statuses in which contributions change
ROW_FIELD = re.compile(r"^r\d+-")
APPROVAL_REFRESH = 3   # seconds between looks at a big approval under way


def _as_me(service, method, *args, **kwargs):
    return call(service, method, g.actor, *args, **kwargs)


def _or_empty(service, method, *args):
    """A read that a plan not adopted yet (monitoring knows none) answers with nothing."""
    try:
        return _as_me(service, method, *args)
    except NotFound:
        return None


def _language(plan_doc=None, municipalities=None):
    locale = None
    if plan_doc is not None and municipalities:
        locale = (municipalities.get(plan_doc.get("coordinator")) or {}).get("locale")
    g.lang = i18n.choose_language(locale)


def _url(path, **query):
    query = {k: v for k, v in query.items() if v not in (None, "")}
    lang = i18n.offered_language()
    if lang:
        query["lang"] = lang
    return path + (f"?{urlencode(query)}" if query else "")


def _plan_url(plan_id, period=None, anchor=""):
    return _url(f"/workspace/plans/{plan_id}", period=period) + anchor


def _members(plan_doc):
    return [m for m in municipalities_of(plan_doc) if m in plan_doc["contributions"]]


def _mine(actor, reading):
    """Whether ``actor`` submitted ``reading`` (the four-eyes rule: then someone else approves it)."""
    by = reading.get("submitted_by") or {}
    if actor.get("token_id"):
        return by.get("token_id") == actor["token_id"]
    return bool(actor.get("person_id")) and by.get("person_id") == actor.get("person_id")


def _mode(plan_doc):
    """What the person does with this plan: ``region`` (its coordinator, or a reader of all of it),
    ``district`` (a planner of a member municipality), or ``view`` (anyone else who may read it)."""
    actor = g.actor
    if is_coordinator(actor, plan_doc):
        return "region"
    if actor.get("role") == "planner" and actor.get("municipality") in municipalities_of(plan_doc):
        return "district"
    return "view"


# -- home -------------------------------------------------------------------------------------------

@blp.route("/workspace")
@login_required
def workspace():
    municipalities = data.municipalities()
    _language()
    actor = g.actor
    heads = _as_me("plan_registry", "list_plans", actor.get("municipality"))
    plans = []
    for head in heads:   # the heads (id, title, period, coordinator, members): no whole plan read per plan
        mode = _mode(head)
        waiting = _waiting(head, mode)
        plans.append({"plan": head, "mode": mode, "waiting": waiting})
    return render_template("workspace.html", plans=plans, municipalities=municipalities,
                           notices=get_flashed_messages())


def _waiting(plan_doc, mode):
    """What waits for the person in a plan: readings to approve, own readings sent back, inputs to decide."""
    actor, out = g.actor, []
    readings = _or_empty("monitoring", "list_readings", plan_doc["id"],
                         actor.get("municipality") if mode == "district" else None, None) or []
    if mode == "region":
        by_municipality = {}
        for r in readings:
            if r.get("status") == "submitted":
                by_municipality.setdefault((r["municipality"], r["period"]), 0)
                by_municipality[(r["municipality"], r["period"])] += 1
        for (mid, period), count in sorted(by_municipality.items()):
            out.append({"kind": "approve", "municipality": mid, "period": period, "count": count})
        for consultation in _or_empty("consultation", "list_consultations", plan_doc["id"]) or []:
            undecided = _as_me("consultation", "list_inputs", consultation["id"], {"decision": "undecided"})
            if undecided:
                out.append({"kind": "decide", "consultation": consultation, "count": len(undecided)})
    elif mode == "district":
        pending = {}
        for r in readings:
            if r.get("status") == "submitted" and not _mine(actor, r):
                pending[r["period"]] = pending.get(r["period"], 0) + 1
            elif r.get("status") == "rejected":
                out.append({"kind": "rejected", "period": r["period"], "indicator": r["indicator"],
                            "reason": (r.get("rejected") or {}).get("reason")})
        for period, count in sorted(pending.items()):
            out.append({"kind": "approve", "municipality": actor["municipality"], "period": period, "count": count})
    return out


# -- a plan: the region dashboard or the district's readings -----------------------------------------

def _periods(plan_doc):
    return data.half_years(plan_doc)


def _period(plan_doc, asked, readings=None):
    """The period asked for when it is one of the plan's begun half-years; else the latest with
    readings (``readings`` given), else the latest begun."""
    periods = _periods(plan_doc)
    keys = [p.key for p in periods]
    if asked in keys:
        return periods[keys.index(asked)]
    if asked:
        western = i18n.digits.fa_to_en(asked)
        if western in keys:
            return periods[keys.index(western)]
    if readings:
        with_readings = {r["period"] for r in readings}
        for period in reversed(periods):
            if period.key in with_readings:
                return period
    if not periods:   # a plan prepared before its period begins: its first half-year, with nothing in it yet
        return data.Period(plan_doc["calendar"], plan_doc["period"]["start"], 1)
    return periods[-1]


def _plan_page(plan_id, asked_period=None, status=200, **extra):
    municipalities = data.municipalities()
    plan_doc = _as_me("plan_registry", "get_plan", plan_id)
    _language(plan_doc, municipalities)
    mode = _mode(plan_doc)
    actor = g.actor
    context = dict(plan=plan_doc, municipalities=municipalities, mode=mode, themes=data.by_code(plan_doc.get("themes")),
                   goals=(plan_doc.get("frame") or {}).get("goals", []), members=_members(plan_doc),
                   errors={}, values={}, notices=get_flashed_messages(), plan_url=_plan_url)
    context.update(extra)
    if mode == "district":
        mid = actor["municipality"]
        all_mine = _or_empty("monitoring", "list_readings", plan_id, mid, None) or []
        period = _period(plan_doc, asked_period, None)
        readings = [r for r in all_mine if r["period"] == period.key]
        progress = _or_empty("monitoring", "progress", plan_id, period.key, mid)
        rows = rf.rows(plan_doc, mid)
        by_code = {r["indicator"]: r for r in readings}
        figures = {f["code"]: f for f in (progress or {}).get("indicators", []) if f["municipality"] == mid}
        pending = [r for r in readings if r.get("status") == "submitted"]
        context.update(
            municipality=mid, period=period, contribution=_contribution_summary(plan_doc, mid),
            editable=plan_doc["status"] in EDITABLE, periods=_periods(plan_doc), rows=rows, current=by_code,
            figures=figures,
            enter_hint=rf.hint,
            progress=progress, pending=pending, pending_mine=[r for r in pending if _mine(actor, r)],
            key=context.get("key") or secrets.token_urlsafe(18), adopted=progress is not None,
            error_rows={int(name[1:].split("-")[0]) for name in context["errors"] if ROW_FIELD.match(name)})
        return render_template("district.html", **context), status
    everything = _or_empty("monitoring", "list_readings", plan_id, None, None)
    period = _period(plan_doc, asked_period, everything or [])
    readings = [r for r in (everything or []) if r["period"] == period.key]
    progress = _or_empty("monitoring", "progress", plan_id, period.key)
    matrix = data.matrix_cells(_as_me("monitoring", "matrix", plan_id, period.key)) if progress else None
    alerts = _or_empty("monitoring", "alerts", plan_id) or []
    counts = {mid: len(rf.rows(plan_doc, mid)) for mid in context["members"]}
    submitted, waiting = {}, {}
    for r in readings:
        submitted[r["municipality"]] = submitted.get(r["municipality"], 0) + 1
        if r.get("status") == "submitted":
            waiting.setdefault(r["municipality"], []).append(r)
    consultations = []
    if mode == "region":
        for consultation in _or_empty("consultation", "list_consultations", plan_id) or []:
            undecided = _as_me("consultation", "list_inputs", consultation["id"], {"decision": "undecided"})
            consultations.append({**consultation, "undecided": len(undecided)})
    indicator_names = {row["code"]: row for mid in context["members"] for row in rf.rows(plan_doc, mid)}
    # beside the plan's figures, what the districts' service requests themselves show
    quality = data.service_quality(data.quality_members(plan_doc), period.key) if progress else {}
    context.update(_versions_context(plan_doc))
    context["contribution_status"] = [(mid, _contribution_summary(plan_doc, mid)) for mid in municipalities_of(plan_doc)
                                      if mid in plan_doc["members"] or mid in plan_doc["contributions"]]
    context["changes"] = _changes_to_follow(plan_doc) if mode == "region" else []
    context["can_adopt"] = mode == "region" and plan_doc["status"] in ("consultation", "revising")
    context["can_revise"] = mode == "region" and plan_doc["status"] == "adopted"
    context.update(period=period, periods=_periods(plan_doc), progress=progress, matrix=matrix, alerts=alerts,
                   counts=counts, submitted=submitted, waiting=waiting, consultations=consultations,
                   indicator_names=indicator_names, adopted=progress is not None, quality=quality)
    return render_template("region.html", **context), status


def _changes_to_follow(plan_doc):
    """The open flags of changes in the plans this one follows (its parent, the plans whose
    objectives it counts), each with that plan's title."""
    flags = plan_doc.get("parent_changes") or []
    titles = {}
    for pid in sorted({f["parent_plan"] for f in flags}):
        try:
            titles[pid] = _as_me("plan_registry", "get_plan", pid)["title"]
        except NotFound:
            titles[pid] = pid
    return [{**flag, "title": titles[flag["parent_plan"]]} for flag in flags]


@blp.route("/workspace/plans/<plan_id>/changes/<int:n>/acknowledge", methods=["POST"])
@login_required
def acknowledge_change(plan_id, n):
    """The coordinator has read a change of the plan it follows: it is no longer flagged."""
    _plan_for(plan_id, "region")
    try:
        _as_me("plan_registry", "acknowledge_parent_change", plan_id, n, _form_version())
    except StaleVersion:
        flash(_("The plan changed since you opened this page: read the change again."))
    except (Conflict, InvalidInput):
        flash(_("This change was marked as read already."))
    else:
        data.forget()
        flash(_("The change is marked as read."))
    return redirect(_plan_url(plan_id, anchor="#changes"), code=303)


@blp.route("/workspace/plans/<plan_id>/changes/take", methods=["POST"])
@login_required
def take_changes(plan_id):
    """The objectives this plan counts from other plans taken again as those plans have them now."""
    plan_doc = _plan_for(plan_id, "region")
    mid = plan_doc["coordinator"]
    written = written_here(plan_doc["contributions"].get(mid) or {"objectives": []})
    body = {"objectives": written["objectives"], "references": written["references"]}
    try:
        _as_me("plan_registry", "put_contribution", plan_id, mid, body, _form_version())
    except StaleVersion:
        flash(_("The plan changed since you opened this page: read the change again."))
    except (Conflict, InvalidInput) as exc:
        flash(_("This was not accepted: %(reason)s", reason=str(exc)))
    else:
        data.forget()
        flash(_("The objectives counted from other plans are now as those plans have them."))
    return redirect(_plan_url(plan_id, anchor="#changes"), code=303)


@blp.route("/workspace/plans/<plan_id>")
@login_required
def plan_workspace(plan_id):
    return _plan_page(plan_id, request.args.get("period"))


@blp.route("/workspace/plans/<plan_id>/readings", methods=["POST"])
@login_required
def submit_readings(plan_id):
    plan_doc, mid = _district_plan(plan_id)
    period = _period(plan_doc, request.form.get("period"))
    key = _form_key()
    rows = rf.rows(plan_doc, mid)
    values = rf.read(request.form, rows)
    lines, where, errors = rf.lines(values, rows, mid, period.key)
    if not errors and not lines:
        errors["form"] = [_("Enter at least one reading: a value, or a numerator and a denominator.")]
    if not errors:
        try:
            answer = _as_me("monitoring", "submit_readings", plan_id, {"readings": lines}, key)
        except InvalidInput as exc:
            errors = rf.from_service(exc.errors, where, rows)
        except Conflict:
            errors["form"] = [_("These readings were sent already with other figures. Open the page again and "
                                "enter them anew.")]
        else:
            data.forget()
            flash(ngettext("%(count)s reading was submitted. Another person of the municipality, or the coordinator, "
                           "approves it.",
                           "%(count)s readings were submitted. Another person of the municipality, or the coordinator, "
                           "approves them.", answer["accepted"], count=i18n.number(answer["accepted"])))
            return redirect(_plan_url(plan_id, period.key, "#readings"), code=303)
    return _plan_page(plan_id, period.key, status=422, errors=errors, values=values, key=key)


def _version_arg(name, numbers):
    raw = i18n.digits.fa_to_en(request.args.get(name) or "")
    return int(raw) if raw.isdigit() and int(raw) in numbers else None


def _changes(plan_doc, old, new):
    """What changed from version ``old`` to ``new``, with the names of both versions' objectives."""
    answer = _as_me("plan_registry", "diff", plan_doc["id"], old, new)
    snapshots = {n: plan_doc if n == plan_doc["version"] else _as_me("plan_registry", "get_version", plan_doc["id"],
                                                                     n)["plan"] for n in (old, new)}
    return changes.readable(answer, snapshots[old], snapshots[new])


def _versions_context(plan_doc):
    """The plan's versions, newest first, and what changed between the two asked for (``?from=&to=``)."""
    versions = _as_me("plan_registry", "list_versions", plan_doc["id"])
    for v in versions:   # whose contribution or council decision a version is (its summary names it)
        found = re.match(r"^(?:Contribution|Council decision) of (\S+) ", v.get("summary") or "")
        v["municipality"] = found.group(1) if found else None
    numbers = [v["version"] for v in versions]
    new, old = _version_arg("to", numbers), _version_arg("from", numbers)
    shown = None
    if old is not None or new is not None:
        new = new or numbers[-1]
        old = old if old is not None else max(new - 1, 1)
        if old != new:
            shown = _changes(plan_doc, min(old, new), max(old, new))
    adopted = [v["version"] for v in versions if v.get("kind") == "adoption"]
    return {"versions": list(reversed(versions)), "version_changes": shown,
            "compare": {"from": old or (adopted[-1] if adopted and adopted[-1] < numbers[-1] else
                                        max(numbers[-1] - 1, 1)), "to": new or numbers[-1]}}


def _contribution_summary(plan_doc, mid):
    """What the page says of a member's contribution: whether and when it was submitted, how much."""
    found = plan_doc["contributions"].get(mid)
    if not found:
        return None
    objectives = found.get("objectives", [])
    by = found.get("submitted_by") or ""
    return {"submitted_at": found.get("submitted_at"),
            "submitted_by": by[len("user:"):] if by.startswith("user:") else None,   # a person, not a token's id
            "objectives": len(objectives), "indicators": sum(len(o.get("indicators", [])) for o in objectives)}


# -- the district's contribution as the command line's workbook ----------------------------------------

def _form_key():
    """The idempotency key a form carries (made when the form was shown): a double submit is one write."""
    key = request.form.get("key") or ""
    return key if 8 <= len(key) <= 100 else secrets.token_urlsafe(18)


def _form_version():
    """The plan version the form was shown with: a write to a plan changed since is refused (412)."""
    raw = request.form.get("version") or ""
    return int(raw) if raw.isdigit() else None


def _plan_for(plan_id, mode):
    """The plan, the page's language set by it; 403 unless the person works on it in ``mode``."""
    plan_doc = _as_me("plan_registry", "get_plan", plan_id)
    _language(plan_doc, data.municipalities())
    if _mode(plan_doc) != mode:
        abort(403)
    return plan_doc


def _district_plan(plan_id):
    return _plan_for(plan_id, "district"), g.actor["municipality"]


@blp.route("/workspace/plans/<plan_id>/contribution.xlsx")
@login_required
def contribution_workbook(plan_id):
    """The contribution workbook (``ortak pull contribution``), or empty (``ortak template contribution``)."""
    plan_doc, mid = _district_plan(plan_id)
    if not plan_doc.get("frame"):
        abort(404)   # no goals to contribute to yet
    empty = request.args.get("empty") == "1"
    content = workbook.write(plan_doc, mid, empty)
    name = workbook.filename(plan_id, mid, plan_doc["version"], empty)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@blp.route("/workspace/plans/<plan_id>/contribution", methods=["POST"])
@login_required
def upload_contribution(plan_id):
    """The workbook back, as ``ortak push contribution``: every problem by sheet and cell and nothing
    stored, removals only when confirmed, a workbook of an older version only when confirmed."""
    plan_doc, mid = _district_plan(plan_id)
    upload = request.files.get("workbook")
    allow_removals = request.form.get("allow_removals") == "1"
    rebase = request.form.get("rebase") == "1"
    errors, extra = {}, {"book_problems": [], "removed": [], "stale": None}

    def again(status=422):
        return _plan_page(plan_id, request.form.get("period"), status=status, errors=errors, **extra)

    if plan_doc["status"] not in EDITABLE or not plan_doc.get("frame"):
        abort(409)   # the page offers no upload then
    raw = upload.read(workbook.MAX_BYTES + 1) if upload and upload.filename else b""
    if not raw:
        errors["workbook"] = [_("Choose the contribution workbook (.xlsx) to upload.")]
        return again()
    found = workbook.read(raw)
    if found is None:
        errors["workbook"] = [_("This file is not a contribution workbook of Ortak: download the workbook from "
                                "this page, fill it in and upload it as .xlsx.")]
        return again()
    about, contribution, cells, unreadable = found
    if about["plan"] != plan_id or about["municipality"] != mid:
        errors["workbook"] = [_("This workbook is of another plan or municipality (%(plan)s, %(municipality)s): "
                                "download the workbook from this page.", plan=about["plan"],
                                municipality=about["municipality"])]
        return again()
    contribution, problems = workbook.check(plan_doc, mid, about, contribution, cells, unreadable)
    if problems:
        extra["book_problems"] = workbook.by_sheet(problems)
        errors["workbook"] = [ngettext(
            "The workbook has %(count)s cell with a problem, listed below by sheet and cell. Nothing was stored: "
            "correct it and upload the workbook again.",
            "The workbook has %(count)s cells with a problem, listed below by sheet and cell. Nothing was stored: "
            "correct them and upload the workbook again.", len(problems), count=i18n.number(len(problems)))]
        return again()
    language = about.get("language") or "en"
    removed = workbook.removals(contribution, plan_doc, mid, language)
    extra.update(removed=removed, allow_removals=allow_removals, rebase=rebase)   # kept ticked on the form again
    if removed and not allow_removals:
        errors["allow_removals"] = [_("The workbook lacks objectives or indicators your municipality has now. "
                                      "Nothing was stored. Put them back in the workbook, or tick the box to "
                                      "remove them and upload the workbook again.")]
        return again()
    version = int(about["version"])
    if plan_doc["version"] != version:
        if not rebase:
            extra["stale"] = {"from": version, "to": plan_doc["version"],
                              "changes": _changes(plan_doc, version, plan_doc["version"])
                              if 1 <= version < plan_doc["version"] else None}
            errors["rebase"] = [_("The plan changed since this workbook was downloaded (version %(old)s, now "
                                  "%(new)s). Nothing was stored. Look at what changed, then tick the box and upload "
                                  "the workbook again, or download it anew.", old=i18n.number(version),
                                  new=i18n.number(plan_doc["version"]))]
            return again()
        version = plan_doc["version"]
    if workbook.has_already(plan_doc, mid, contribution):
        flash(_("Your municipality's contribution is already exactly this workbook; nothing changed."))
        return redirect(_plan_url(plan_id, anchor="#contribution"), code=303)
    try:
        answer = _as_me("plan_registry", "put_contribution", plan_id, mid, contribution, version)
    except InvalidInput as exc:
        problems = workbook.located(exc.errors, cells)
        extra["book_problems"] = workbook.by_sheet(problems)
        errors["workbook"] = [_("The plan's rules refused the workbook; the cells are listed below. Nothing was "
                                "stored.")]
        return again()
    except StaleVersion:
        errors["workbook"] = [_("Someone changed the plan while the workbook was sent. Nothing was stored: upload "
                                "it again.")]
        return again(409)
    except Conflict:
        errors["workbook"] = [_("The plan takes no contribution now (it is adopted or renewed).")]
        return again(409)
    data.forget()
    objectives = len(contribution["objectives"])
    text = ngettext("%(count)s objective of %(municipality)s was stored from the workbook",
                    "%(count)s objectives of %(municipality)s were stored from the workbook",
                    objectives, count=i18n.number(objectives), municipality=_municipality_name(mid))
    if removed:
        text += "; " + ngettext("%(count)s objective or indicator was removed", "%(count)s objectives or indicators "
                                "were removed", len(removed), count=i18n.number(len(removed)))
    flash(text + ". " + _("The plan is now at version %(version)s.", version=i18n.number(answer["version"])))
    return redirect(_plan_url(plan_id, anchor="#contribution"), code=303)


# -- adoption with the council decision ------------------------------------------------------------

def _adoption_message(path, text):
    text = str(text)
    found = re.match(r"^(\S+) has not submitted its contribution\.$", text)
    if found:
        return _("%(municipality)s has not submitted its contribution.",
                 municipality=_municipality_name(found.group(1)))
    found = re.match(r"^Goal (\S+) has no objective serving it\.$", text)
    if found:
        return _("Goal %(code)s has no objective serving it.", code=found.group(1))
    found = re.match(r"^No district indicator contributes to regional indicator (\S+)\.$", text)
    if found:
        return _("No district indicator contributes to the regional indicator %(code)s.", code=found.group(1))
    return _("Not accepted: %(reason)s", reason=text)


@blp.route("/workspace/plans/<plan_id>/adopt", methods=["POST"])
@login_required
def adopt(plan_id):
    """The coordinator records the council decision (number, date) that adopts the plan."""
    _plan_for(plan_id, "region")
    values = {"decision_no": (request.form.get("decision_no") or "").strip(),
              "decision_date": (request.form.get("decision_date") or "").strip()}
    errors = {}
    if not values["decision_no"]:
        errors["decision_no"] = [_("Write the number of the council decision, such as 2024/512.")]
    elif len(values["decision_no"]) > 100:
        errors["decision_no"] = [_("Write at most %(count)s characters.", count=i18n.number(100))]
    day = i18n.parse_date(values["decision_date"]) if values["decision_date"] else None
    if day is None:
        errors["decision_date"] = [_("Write the date of the council decision as year-month-day, such as %(example)s.",
                                     example=i18n.local_digits("1403-08-24" if i18n.current() == "fa"
                                                               else "2024-11-14"))]
    elif day > datetime.date.today():
        errors["decision_date"] = [_("The council decision's date is not in the future.")]
    version = _form_version()
    if not errors:
        try:
            answer = _as_me("plan_registry", "adopt", plan_id,
                            {"decision_no": values["decision_no"], "decision_date": day.isoformat()}, version)
        except InvalidInput as exc:
            for path, messages in (exc.errors or {}).items():
                if path in ("decision_no", "decision_date"):
                    errors.setdefault(path, []).append(_("This was not accepted: %(reason)s",
                                                         reason="; ".join(map(str, messages))))
                else:
                    errors.setdefault("adopt", []).extend(_adoption_message(path, m) for m in messages)
        except StaleVersion:
            errors["adopt"] = [_("The plan changed since you opened this page: read the versions below, then adopt "
                                 "it again.")]
        except Conflict:
            errors["adopt"] = [_("The plan cannot be adopted now (it is a draft, adopted or renewed).")]
        else:
            data.forget()
            flash(_("The plan was adopted with council decision %(no)s of %(date)s; it is now version %(version)s. "
                    "Monitoring measures against its targets from now on.", no=values["decision_no"],
                    date=i18n.date(day.isoformat()), version=i18n.number(answer["version"])))
            return redirect(_plan_url(plan_id), code=303)
    return _plan_page(plan_id, request.form.get("period"), status=422, errors=errors, values=values)


# -- an update or a renewal of an adopted plan -------------------------------------------------------

REVISION_KINDS = ("update", "renewal")


@blp.route("/workspace/plans/<plan_id>/revisions", methods=["POST"])
@login_required
def revise(plan_id):
    """The coordinator starts an update (new targets from a period on, adopted again by the council)
    or a renewal (the next plan, with the same members and themes)."""
    _plan_for(plan_id, "region")
    values = {name: (request.form.get(name) or "").strip() for name in ("kind", "reason", "effective_from")}
    errors = {}
    if values["kind"] not in REVISION_KINDS:
        errors["kind"] = [_("Choose an update or a renewal.")]
    if not values["reason"]:
        errors["reason"] = [_("Say why the plan is revised: the council and the public read it.")]
    if not errors:
        body = {"kind": values["kind"], "reason": {i18n.current(): values["reason"]},
                "effective_from": i18n.digits.fa_to_en(values["effective_from"]) or None}
        try:
            answer = _as_me("plan_registry", "start_revision", plan_id, body, _form_version())
        except InvalidInput as exc:
            for path, messages in (exc.errors or {}).items():
                field = path if path in ("kind", "reason", "effective_from") else "revise"
                errors.setdefault(field, []).append(_("This was not accepted: %(reason)s",
                                                      reason="; ".join(map(str, messages))))
        except StaleVersion:
            errors["revise"] = [_("The plan changed since you opened this page: read it again, then start the "
                                  "revision.")]
        except Conflict as exc:
            errors["revise"] = [_("This was not accepted: %(reason)s", reason=str(exc))]
        else:
            data.forget()
            if values["kind"] == "update":
                flash(_("An update of the plan was started: the districts can change their contributions, and the "
                        "council adopts the updated plan with its decision."))
                return redirect(_plan_url(plan_id), code=303)
            flash(_("The plan was renewed as %(plan)s, with the same members and themes: write its frame, and "
                    "the districts prepare their contributions.", plan=answer["renewed_by"]))
            return redirect(_plan_url(answer["renewed_by"]), code=303)
    return _plan_page(plan_id, request.form.get("period"), status=422, errors=errors, values=values)


# -- a period's readings as the command line's readings workbook -------------------------------------

@blp.route("/workspace/plans/<plan_id>/readings.xlsx")
@login_required
def readings_workbook(plan_id):
    """The readings workbook of a period (``ortak template readings``): a row for each indicator."""
    plan_doc, mid = _district_plan(plan_id)
    period = _period(plan_doc, request.args.get("period"))
    content = readings_upload.template(plan_doc, period.key, mid)
    name = f"{plan_id}-{mid}-readings-{period.key}.xlsx"
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@blp.route("/workspace/plans/<plan_id>/readings/workbook", methods=["POST"])
@login_required
def upload_readings(plan_id):
    """A readings workbook (or CSV) back, as ``ortak push readings``: one batch, every problem by
    line, nothing stored on any; the same file sent again is stored once."""
    plan_doc, mid = _district_plan(plan_id)
    period = _period(plan_doc, request.form.get("period"))
    upload = request.files.get("readings_workbook")
    errors, extra = {}, {"line_problems": []}

    def again(status=422):
        return _plan_page(plan_id, period.key, status=status, errors=errors, **extra)

    raw = upload.read(workbook.MAX_BYTES + 1) if upload and upload.filename else b""
    if not raw:
        errors["readings_workbook"] = [_("Choose the readings workbook (.xlsx or .csv) to upload.")]
        return again()
    found = readings_upload.read(raw, upload.filename)
    if found is None:
        errors["readings_workbook"] = [_("This file is not a readings workbook: download the workbook of the period "
                                         "from this page, fill it in and upload it as .xlsx or .csv.")]
        return again()
    lines, places, problems = found
    problems.update(readings_upload.others(lines, places, mid))
    if not problems and not lines:
        errors["readings_workbook"] = [_("The workbook has no reading: enter a value, or a numerator and a "
                                         "denominator, on the indicators' lines.")]
        return again()
    if not problems:
        try:
            answer = _as_me("monitoring", "submit_readings", plan_id, {"readings": lines},
                            readings_upload.key(plan_id, lines))
        except InvalidInput as exc:
            problems = readings_upload.located(exc.errors, places)
        except (Conflict, Forbidden) as exc:
            problems = {"": [_("This was not accepted: %(reason)s", reason=str(exc))]}
        else:
            data.forget()
            flash(ngettext("%(count)s reading was submitted from the workbook. Another person of the municipality, "
                           "or the coordinator, approves it.",
                           "%(count)s readings were submitted from the workbook. Another person of the municipality, "
                           "or the coordinator, approves them.", answer["accepted"],
                           count=i18n.number(answer["accepted"])))
            return redirect(_plan_url(plan_id, period.key, "#readings"), code=303)
    extra["line_problems"] = workbook.by_sheet(problems)
    errors["readings_workbook"] = [ngettext(
        "%(count)s place in the workbook has a problem, listed below by line. Nothing was stored: correct it and "
        "upload the workbook again.",
        "%(count)s places in the workbook have a problem, listed below by line. Nothing was stored: correct them and "
        "upload the workbook again.", len(problems), count=i18n.number(len(problems)))]
    return again()


def _scope_post(plan_id):
    plan_doc = _as_me("plan_registry", "get_plan", plan_id)
    _language(plan_doc, data.municipalities())
    mode = _mode(plan_doc)
    municipality = request.form.get("municipality") or ""
    if mode == "district":
        municipality = g.actor["municipality"]
    elif mode != "region" or municipality not in _members(plan_doc):
        abort(403)
    return plan_doc, municipality, _period(plan_doc, request.form.get("period"))


@blp.route("/workspace/plans/<plan_id>/readings/approve", methods=["POST"])
@login_required
def approve_readings(plan_id):
    plan_doc, municipality, period = _scope_post(plan_id)
    try:
        answer = _as_me("monitoring", "approve", plan_id, {"municipality": municipality, "period": period.key})
    except InvalidInput:
        errors = {f"approve-{municipality}": [_(
            "You submitted these readings yourself: another person of the municipality, or the coordinator, "
            "approves them.")]}
        return _plan_page(plan_id, period.key, status=422, errors=errors)
    except Forbidden:
        abort(403)
    if answer["status"] == "applying":   # a big one: the service approves them after answering
        return redirect(_url(f"/workspace/plans/{plan_id}/approvals/{answer['approval']}"), code=303)
    return _approved(plan_id, answer)


@blp.route("/workspace/plans/<plan_id>/approvals/<approval_id>")
@login_required
def approval(plan_id, approval_id):
    """A big approval under way: the page looks again until its readings are approved."""
    try:
        answer = _as_me("monitoring", "approval", plan_id, approval_id)
    except (NotFound, Forbidden):
        abort(404)
    if answer["status"] != "applying":
        return _approved(plan_id, answer)
    plan_doc = _as_me("plan_registry", "get_plan", plan_id)
    _language(plan_doc, data.municipalities())
    return render_template("approving.html", approval=answer, again=APPROVAL_REFRESH,
                           municipality=_municipality_name(answer["municipality"]),
                           period=_period(plan_doc, answer["period"]),
                           back=_plan_url(plan_id, answer["period"], "#waiting"))


def _approved(plan_id, answer):
    data.forget()
    flash(ngettext("%(count)s reading of %(municipality)s was approved. The figures are updated within a few seconds.",
                   "%(count)s readings of %(municipality)s were approved. The figures are updated within a few seconds.",
                   answer["approved"], count=i18n.number(answer["approved"]),
                   municipality=_municipality_name(answer["municipality"])))
    return redirect(_plan_url(plan_id, answer["period"], "#waiting"), code=303)


@blp.route("/workspace/plans/<plan_id>/readings/reject", methods=["POST"])
@login_required
def reject_readings(plan_id):
    plan_doc, municipality, period = _scope_post(plan_id)
    reason = (request.form.get("reason") or "").strip()
    field = f"reason-{municipality}"
    if not reason:
        return _plan_page(plan_id, period.key, status=422, errors={field: [_(
            "Say why the readings are sent back: the person who submitted them reads it.")]},
            values={field: reason})
    try:
        answer = _as_me("monitoring", "reject", plan_id, {"municipality": municipality, "period": period.key,
                                                         "reason": reason})
    except InvalidInput:
        return _plan_page(plan_id, period.key, status=422, errors={field: [_(
            "Write the reason as plain text of at most 2,000 characters.")]}, values={field: reason})
    except Forbidden:
        abort(403)
    data.forget()
    flash(ngettext("%(count)s reading of %(municipality)s was sent back with your reason.",
                   "%(count)s readings of %(municipality)s were sent back with your reason.",
                   answer["rejected"], count=i18n.number(answer["rejected"]),
                   municipality=_municipality_name(municipality)))
    return redirect(_plan_url(plan_id, period.key, "#waiting"), code=303)


def _municipality_name(mid):
    found = data.municipalities().get(mid)
    return i18n.text(found["name"]) if found else mid


# -- a consultation's inputs, to triage ----------------------------------------------------------------

def _filters(args=None, prefix=""):
    """The inputs' filters of the page: its query, or (after a POST) the form's ``f_`` fields."""
    if args is None:
        args, prefix = (request.args, "") if request.method == "GET" else (request.form, "f_")
    out = {}
    if args.get(prefix + "theme"):
        out["theme"] = args[prefix + "theme"][:20]
    if args.get(prefix + "kind") in INPUT_KINDS:
        out["kind"] = args[prefix + "kind"]
    if args.get(prefix + "decision") in ("undecided", *DECISIONS):
        out["decision"] = args[prefix + "decision"]
    return out


def _link_choices(plan_doc):
    """What an accepted input may be linked to: each goal, and each objective under its goal."""
    goals = (plan_doc.get("frame") or {}).get("goals", [])
    objectives = {}
    for mid, contribution in plan_doc["contributions"].items():
        for objective in contribution["objectives"]:
            objectives.setdefault(objective["goal"], []).append({**objective, "municipality": mid})
    for items in objectives.values():
        items.sort(key=lambda o: [int(p) if p.isdigit() else p for p in o["code"].lstrip("H").split(".")])
    return [{"goal": goal, "objectives": objectives.get(goal["code"], [])} for goal in goals]


# -- the plan's frame --------------------------------------------------------------------------------

def _frame_page(plan_doc, status=200, errors=None, values=None):
    return render_template("frame.html", plan=plan_doc, themes=plan_doc.get("themes") or [],
                           values=values or ff.values_of(plan_doc.get("frame"), i18n.current()),
                           errors=errors or {}, editable=plan_doc["status"] in EDITABLE, plan_url=_plan_url), status


@blp.route("/workspace/plans/<plan_id>/frame")
@login_required
def frame(plan_id):
    return _frame_page(_plan_for(plan_id, "region"))


@blp.route("/workspace/plans/<plan_id>/frame", methods=["POST"])
@login_required
def save_frame(plan_id):
    """The coordinator writes the mission, vision, values and goals in the page's language; the
    registry's rules answer at the fields, and a plan changed meanwhile is not overwritten."""
    plan_doc = _plan_for(plan_id, "region")
    values = ff.read(request.form, plan_doc.get("frame"))
    body, errors, rows = ff.check(values, plan_doc.get("frame"), {t["code"] for t in plan_doc.get("themes") or []},
                                  i18n.current())
    if not errors:
        try:
            answer = _as_me("plan_registry", "put_frame", plan_id, body, _form_version())
        except InvalidInput as exc:
            errors = ff.from_service(exc.errors, rows, body,
                                     {mid: _municipality_name(mid) for mid in municipalities_of(plan_doc)})
        except StaleVersion:
            errors = {"frame": [_("The plan changed since you opened this page. Open the frame again to see the "
                                  "change, then write yours.")]}
        except Conflict:
            errors = {"frame": [_("The plan's frame cannot change now: it is adopted or renewed. Start an update "
                                  "or a renewal first.")]}
        else:
            data.forget()
            flash(_("The plan's frame was saved; the plan is now version %(version)s.",
                    version=i18n.number(answer["version"])))
            return redirect(_plan_url(plan_id), code=303)
    return _frame_page(plan_doc, 422, errors, values)


# -- opening a consultation -------------------------------------------------------------------------

def _new_consultation_page(plan_doc, status=200, errors=None, values=None, key=None):
    themes = data.by_code(plan_doc.get("themes"))
    blank = {"title": "", "kind": "workshop", "themes": [], "opens": "", "closes": "", "public": False,
             "location": "", "audience": "", "sessions": [dict.fromkeys(cf.SESSION_FIELDS, "")] * cf.SESSION_ROWS}
    return render_template("consultation_new.html", plan=plan_doc, themes=themes, kinds=cf.KIND_LABELS,
                           rows=range(cf.SESSION_ROWS), errors=errors or {}, values=values or blank,
                           key=key or secrets.token_urlsafe(18), plan_url=_plan_url), status


@blp.route("/workspace/plans/<plan_id>/consultations/new")
@login_required
def new_consultation(plan_id):
    return _new_consultation_page(_plan_for(plan_id, "region"))


@blp.route("/workspace/plans/<plan_id>/consultations", methods=["POST"])
@login_required
def create_consultation(plan_id):
    """The coordinator opens a consultation (a workshop with its sessions, a survey, a public comment
    period); the form's key makes a double submit create it once."""
    plan_doc = _plan_for(plan_id, "region")
    municipalities = data.municipalities()
    locale = (municipalities.get(plan_doc["coordinator"]) or {}).get("locale")
    values = cf.read(request.form)
    key = _form_key()
    body, errors, rows = cf.check(values, {t["code"] for t in plan_doc.get("themes") or []}, i18n.zone(locale),
                                  i18n.current(), datetime.date.today())
    if not errors:
        try:
            made = _as_me("consultation", "create_consultation", plan_id, body, key)
        except InvalidInput as exc:
            errors = cf.from_service(exc.errors, rows)
        except Conflict:   # the key was sent before with other values: this form is spent
            key = secrets.token_urlsafe(18)
            errors = {"title": [_("This form was already sent with other values. Check the consultations of the plan, "
                                  "then send it again to open another one.")]}
        else:
            data.forget()
            flash(_("The consultation “%(title)s” was created. It opens on %(date)s.",
                    title=i18n.text(made["title"]), date=i18n.date(made["opens_at"])))
            return redirect(_url(f"/workspace/consultations/{made['id']}"), code=303)
    return _new_consultation_page(plan_doc, 422, errors, values, key)


def _consultation_page(cid, status=200, **extra):
    municipalities = data.municipalities()
    consultation = _as_me("consultation", "get_consultation", cid)
    plan_doc = _as_me("plan_registry", "get_plan", consultation["plan_id"])
    _language(plan_doc, municipalities)
    if _mode(plan_doc) != "region":
        abort(403)
    filters = _filters()
    inputs = _as_me("consultation", "list_inputs", cid, filters)
    everything = inputs if not filters else _as_me("consultation", "list_inputs", cid, {})
    context = dict(consultation=consultation, plan=plan_doc, municipalities=municipalities, inputs=inputs,
                   everything=everything, filters=filters, themes=data.by_code(plan_doc.get("themes")),
                   kinds=INPUT_KINDS, decisions=DECISIONS, links=_link_choices(plan_doc), errors={}, values={},
                   failed=None, notices=get_flashed_messages(), plan_url=_plan_url)
    context.update(extra)
    return render_template("triage.html", **context), status


@blp.route("/workspace/consultations/<cid>")
@login_required
def triage(cid):
    return _consultation_page(cid)


def _back_to(cid, anchor=""):
    return redirect(_url(f"/workspace/consultations/{cid}", **_filters()) + anchor, code=303)


def _link_values(raw):
    """Form values ``goal:A1`` and ``objective:H1.1:edremit`` as the decision's links."""
    links = []
    for value in raw[:50]:
        kind, _, rest = value.partition(":")
        if kind == "goal" and rest:
            links.append({"goal": rest})
        elif kind == "objective" and rest:
            code, _, municipality = rest.partition(":")
            links.append({"objective": code, "municipality": municipality or None})
    return links


@blp.route("/workspace/inputs/<iid>/decision", methods=["POST"])
@login_required
def decide(iid):
    cid = request.form.get("consultation") or ""
    decision = request.form.get("decision") or ""
    reason = (request.form.get("reason") or "").strip()
    merged_into = request.form.get("merged_into") or None
    links = _link_values(request.form.getlist("links"))
    values = {"decision": decision, "reason": reason, "merged_into": merged_into or "",
              "links": request.form.getlist("links")}
    errors = {}
    _language()
    if decision not in DECISIONS:
        errors["decision"] = [_("Choose a decision: accept, reject or merge.")]
    elif decision == "accepted" and not links:
        errors["links"] = [_("Choose at least one goal or objective the input is taken into.")]
    elif decision == "rejected" and not reason:
        errors["reason"] = [_("Say why the input is not taken into the plan.")]
    elif decision == "merged" and not merged_into:
        errors["merged_into"] = [_("Choose the input this one is merged into.")]
    if not errors:
        body = {"decision": decision, "reason": reason or None, "links": links if decision == "accepted" else [],
                "merged_into": merged_into if decision == "merged" else None}
        try:
            _as_me("consultation", "decide", iid, body)
        except InvalidInput as exc:
            errors = _decision_errors(exc.errors)
        except Conflict:
            errors["decision"] = [_("Someone decided this input at the same moment. Read it again and decide.")]
        except NotFound:
            abort(404)
        else:
            flash(_("The decision on input %(ref)s was saved.", ref=iid))
            return _back_to(cid, f"#input-{iid}")
    return _consultation_page(cid, status=422, errors=errors, values=values, failed=iid)


def _decision_errors(service_errors):
    errors = {}
    for path in service_errors or {}:
        if path.startswith("links"):
            errors.setdefault("links", [_("One of the chosen goals or objectives is not in the plan.")])
        elif path == "merged_into":
            errors.setdefault("merged_into", [_("Choose another input of this consultation to merge into.")])
        elif path == "reason":
            errors.setdefault("reason", [_("Write the reason as plain text of at most 2,000 characters.")])
        else:
            errors.setdefault("decision", [_("This decision cannot be made on this input.")])
    return errors


@blp.route("/workspace/inputs/<iid>/moderation", methods=["POST"])
@login_required
def moderate(iid):
    cid = request.form.get("consultation") or ""
    action = request.form.get("action")
    _language()
    if action not in ("publish", "hide"):
        abort(400)
    try:
        _as_me("consultation", "moderate", iid, {"action": action})
    except NotFound:
        abort(404)
    data.forget()
    flash(_("The text of input %(ref)s is now public.", ref=iid) if action == "publish"
          else _("The text of input %(ref)s is now hidden from the public.", ref=iid))
    return _back_to(cid, f"#input-{iid}")
