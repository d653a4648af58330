"""`ortak`: prepare a district's contribution, readings and projects offline, in spreadsheets, and sync them.

Exit codes: 0 done, 1 refused (the errors say where), 2 usage, 3 the plan changed meanwhile,
4 the server could not be reached (a push is then queued for `ortak sync`), 5 not allowed.
"""
import json
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.plan_registry import domain as rules

from . import contribution_book, projects_book, readings_book, requests_book, settings, sync
from .errors import CONFLICT, OK, REFUSED, UNREACHABLE, CliError, Unreachable, UsageError
from .http import Api

err = Console(stderr=True)


class Context:
    def __init__(self, url, token, as_json, attempts):
        self.url_option, self.token_option, self.as_json, self.attempts = url, token, as_json, attempts

    def api(self):
        url, token = settings.resolve(self.url_option, self.token_option)
        return url, Api(url, token, attempts=self.attempts)

    def done(self, result, text):
        click.echo(json.dumps(result, ensure_ascii=False) if self.as_json else text)


@click.group()
@click.option("--url", help="The server (else ORTAK_URL, else the saved login).")
@click.option("--token", help="The API token (else ORTAK_TOKEN, else the saved login).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON result, for scripts.")
@click.option("--attempts", default=6, show_default=True, help="Tries per request before giving up.")
@click.pass_context
def cli(ctx, url, token, as_json, attempts):
    """Ortak from a district office: templates, pushes that survive bad connections, figures back."""
    ctx.obj = Context(url, token, as_json, attempts)


@cli.command()
@click.option("--url", "server", required=True, help="The server, e.g. https://ortak.example.gov.tr")
@click.option("--token", "token", prompt=True, hide_input=True, help="Your API token.")
@click.pass_obj
def login(obj, server, token):
    """Check the token against the server and save both in a file only you can read."""
    api = Api(server.rstrip("/"), token, attempts=obj.attempts)
    api.request("GET", "/plans")   # 401 for a bad token
    path = settings.save(server, token)
    obj.done({"config": path}, f"Saved to {path}.")


# -- templates and pulls ------------------------------------------------------------------------
def _plan(api, plan_id):
    return api.get(f"/plans/{plan_id}")


def _language(api, municipality):
    return api.get(f"/municipalities/{municipality}").get("locale", "en")


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _contribution_book(obj, plan_id, municipality, output, filled):
    """Write the contribution workbook of the plan as it is now, empty or with what the server has."""
    _, api = obj.api()
    plan = _plan(api, plan_id)
    current = contribution_book.as_written(plan, municipality, {"objectives": []}) if filled else None
    _write(output, contribution_book.write(plan, municipality, _language(api, municipality), current,
                                           plan["version"]))
    return plan, current


@cli.group()
def template():
    """Empty workbooks in the guide's format."""


@template.command("contribution")
@click.option("--plan", "plan_id", required=True)
@click.option("--municipality", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def template_contribution(obj, plan_id, municipality, output):
    """The contribution workbook: goals, themes and regional indicators filled in, lists to pick from."""
    plan, _ = _contribution_book(obj, plan_id, municipality, output, filled=False)
    obj.done({"file": output, "version": plan["version"]}, f"Wrote {output} (plan version {plan['version']}).")


@template.command("readings")
@click.option("--plan", "plan_id", required=True)
@click.option("--period", required=True, help="A period key of the plan: 2026-H1, 2026, 1405-H1 ...")
@click.option("--municipality", help="Only this municipality's indicators (default: every one you see).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def template_readings(obj, plan_id, period, municipality, output):
    """A readings workbook with a row for each indicator in the period."""
    _, api = obj.api()
    plan = _plan(api, plan_id)
    members = [municipality] if municipality else sorted(plan["contributions"])
    language = _language(api, municipality or plan["coordinator"])
    _write(output, readings_book.template(plan, period, language, members))
    obj.done({"file": output}, f"Wrote {output}.")


def _programme_view(api, plan_id):
    """The adopted plan as the programme service checks projects against it."""
    return rules.monitoring_view(_plan(api, plan_id))


@template.command("projects")
@click.option("--plan", "plan_id", required=True)
@click.option("--municipality", help="Texts in its language; with --filled, only its projects.")
@click.option("--filled", is_flag=True, help="With the projects the server has (to change them).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def template_projects(obj, plan_id, municipality, filled, output):
    """A projects workbook: a row per activity or project, a budget column per plan year, milestones."""
    _, api = obj.api()
    plan = _programme_view(api, plan_id)
    language = _language(api, municipality or plan["coordinator"])
    projects = [p for p in api.get(f"/plans/{plan_id}/projects") if municipality in (None, p["municipality"])] \
        if filled else []
    _write(output, projects_book.write(plan, language, projects))
    obj.done({"file": output, "projects": len(projects)}, f"Wrote {output}" + (
        f" with {len(projects)} projects." if filled else "."))


@cli.group()
def pull():
    """What is on the server, into files."""


@pull.command("contribution")
@click.option("--plan", "plan_id", required=True)
@click.option("--municipality", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def pull_contribution(obj, plan_id, municipality, output):
    """The contribution as it is on the server, in the contribution workbook."""
    plan, current = _contribution_book(obj, plan_id, municipality, output, filled=True)
    obj.done({"file": output, "version": plan["version"], "objectives": len(current["objectives"])},
             f"Wrote {output}: {len(current['objectives'])} objectives, plan version {plan['version']}.")


@pull.command("progress")
@click.option("--plan", "plan_id", required=True)
@click.option("--period", required=True)
@click.option("--municipality")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx", "pdf"]), default="json", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def pull_progress(obj, plan_id, period, municipality, fmt, output):
    """The figures of a period: JSON as the API gives them, or the monitoring report's XLSX or PDF."""
    _, api = obj.api()
    if fmt == "json":
        query = {"period": period, **({"municipality": municipality} if municipality else {})}
        _write(output, api.request("GET", f"/plans/{plan_id}/progress", params=query).content)
    else:
        _write(output, _report(api, plan_id, "monitoring", period, fmt, municipality))
    obj.done({"file": output}, f"Wrote {output}.")


def _report(api, plan_id, kind, period, fmt, municipality):
    query = {"format": fmt, ("year" if kind == "evaluation" else "period"): period,
             **({"municipality": municipality} if municipality else {})}
    return api.request("GET", f"/plans/{plan_id}/reports/{kind}", params=query).content


@pull.command("report")
@click.option("--plan", "plan_id", required=True)
@click.option("--kind", type=click.Choice(["monitoring", "evaluation"]), default="monitoring", show_default=True)
@click.option("--period", required=True, help="A half-year for monitoring, a year for evaluation.")
@click.option("--municipality")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx", "pdf"]), default="pdf", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def pull_report(obj, plan_id, kind, period, municipality, fmt, output):
    """The six-monthly monitoring report or the yearly evaluation report."""
    _, api = obj.api()
    _write(output, _report(api, plan_id, kind, period, fmt, municipality))
    obj.done({"file": output}, f"Wrote {output}.")


# -- pushes -------------------------------------------------------------------------------------
@cli.group()
def push():
    """Files to the server, checked here first."""


check_contribution = contribution_book.check
_has_already = contribution_book.has_already


def _removal_lines(found):
    return [f"{r['kind']} {r['code']}" + (f" (of {r['objective']})" if r.get("objective") else "") + f": {r['title']}"
            for r in found]


@push.command("contribution")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--rebase", is_flag=True, help="Send even though the plan changed since the workbook was made.")
@click.option("--check", is_flag=True, help="Only check the workbook; send nothing.")
@click.option("--allow-removals", is_flag=True,
              help="Send even though objectives or indicators the server has are missing from the workbook "
                   "(they are removed).")
@click.pass_obj
def push_contribution(obj, file, rebase, check, allow_removals):
    """Check a contribution workbook with the server's rules, then send it with If-Match.

    Texts keep the languages the workbook does not show; objectives and indicators the server has
    that the workbook lacks are listed, and nothing is sent unless --allow-removals is given."""
    _, api = obj.api()
    about, contribution, cells, unreadable = contribution_book.read(file)
    plan_id, municipality, version = about["plan"], about["municipality"], int(about["version"])
    language = about.get("language") or "en"
    plan = _plan(api, plan_id)
    current = contribution_book.as_written(plan, municipality)
    contribution = contribution_book.keep_languages(contribution, current, language)
    problems = check_contribution(plan, municipality, contribution, cells, unreadable)
    if problems:
        raise CliError(f"{file} has {len(problems)} problem(s); nothing was sent.", problems)
    removed = contribution_book.removals(contribution, current, language)
    if removed and not allow_removals:
        objectives = sum(r["kind"] == "objective" for r in removed)
        raise CliError(f"Sending {file} would remove {objectives} objective(s) and {len(removed) - objectives} "
                       f"indicator(s) that {municipality} has on the server; nothing was sent. Put them back in "
                       f"the workbook (`ortak pull contribution` gives a filled one), or push again with "
                       f"--allow-removals to remove them.", {"removed": _removal_lines(removed)})
    if check:
        text = f"{file} is ready to send."
        if removed:
            text += " It removes: " + "; ".join(_removal_lines(removed)) + "."
        return obj.done({"problems": {}, "removed": removed}, text)
    if plan["version"] != version:
        changes = api.get(f"/plans/{plan_id}/diff", params={"from": version, "to": plan["version"]})
        if not rebase:
            raise CliError(f"The plan changed on the server since this workbook was made (version {version} -> "
                           f"{plan['version']}); look at the changes, then push again with --rebase.",
                           {"changes": [json.dumps(changes, ensure_ascii=False)]}, CONFLICT)
        version = plan["version"]
    result = {"objectives": len(contribution["objectives"]), "removed": removed}
    if _has_already(plan, municipality, contribution):
        return obj.done({**result, "version": plan["version"], "unchanged": True},
                        f"The server has this contribution of {municipality} already; plan version {plan['version']}.")
    try:
        answer = api.request("PUT", f"/plans/{plan_id}/contributions/{municipality}", json=contribution,
                             headers={"If-Match": f'"{version}"'}).json()
    except CliError as exc:
        # A 412 after a try whose answer was lost (503, timeout) is our own write seen again:
        # the server having exactly what was sent is success; anything else is someone's change.
        if getattr(exc, "status", None) != 412:
            raise
        now = _plan(api, plan_id)
        if not _has_already(now, municipality, contribution):
            raise CliError(f"The plan changed on the server while this workbook was sent (version {version} -> "
                           f"{now['version']}) and its contribution of {municipality} is not what was sent; look at "
                           f"the changes, then push again with --rebase.", exc.errors, CONFLICT) from None
        answer = {"version": now["version"]}
    obj.done({**result, "version": answer.get("version")},
             f"Sent {len(contribution['objectives'])} objectives of {municipality}"
             + (f", removing {len(removed)} objective(s) and indicator(s)" if removed else "")
             + f"; plan version {answer.get('version')}.")


def _bar(quiet):
    """A progress bar on stderr, when a person is watching."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, disable=quiet or not err.is_terminal, transient=True)


def _pushed(obj, summary, text, offline):
    """A push's last word: what was sent, and what waits in the outbox for `ortak sync` and why."""
    if summary["queued"]:
        why = "offline" if offline else summary["unreachable"]
        obj.done(summary, f"{text} Queued ({why}); run `ortak sync` to send them.")
        return UNREACHABLE
    obj.done(summary, text)
    return OK


@push.command("readings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--plan", "plan_id", required=True)
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 10000))
@click.option("--offline", is_flag=True, help="Queue the push for `ortak sync` instead of sending it now.")
@click.pass_obj
def push_readings(obj, file, plan_id, batch_size, offline):
    """Send readings (XLSX or CSV) in batches; run again after an interruption to send what is missing."""
    url, api = obj.api()
    lines, unreadable = readings_book.read(file)
    if unreadable:
        raise CliError(f"{file} has {len(unreadable)} cell(s) that are not numbers; nothing was sent.", unreadable)
    places = [place for place, _ in lines]
    with _bar(obj.as_json) as bar:
        task = bar.add_task("readings", total=len(lines))
        summary = sync.push(api, url, plan_id, [line for _, line in lines], places, batch_size, offline,
                            advance=lambda n: bar.advance(task, n))
    summary["readings"] = len(lines)
    text = (f"{len(lines)} readings in {summary['batches']} batches: {summary['sent']} sent, "
            f"{summary['skipped']} sent before, {summary['queued']} queued.")
    return _pushed(obj, summary, text, offline)


@push.command("projects")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True, help="Only check the workbook; send nothing.")
@click.option("--offline", is_flag=True, help="Queue the push for `ortak sync` instead of sending it now.")
@click.pass_obj
def push_projects(obj, file, check, offline):
    """Check a projects workbook with the server's rules, then register each row (or change the
    server's project of its code). Run it again after an interruption to send what is missing."""
    url, api = obj.api()
    with open(file, "rb") as f:
        about, projects, cells, unreadable = projects_book.read(f.read())
    plan_id, language = about["plan"], about.get("language") or "en"
    try:
        plan = _programme_view(api, plan_id)
    except Unreachable:
        if check:
            raise
        plan, offline = None, True   # checked by the schema here, by the plan's rules when synced
    problems = projects_book.check(plan, projects, cells, unreadable)
    if problems:
        raise CliError(f"{file} has {len(problems)} problem(s); nothing was sent.", problems)
    if check:
        return obj.done({"problems": {}, "projects": len(projects)}, f"{file} is ready to send.")
    known = {} if offline else sync.portfolio(api, plan_id)
    projects = [projects_book.keep_languages(p, known.get(p["code"]), language) for p in projects]
    with _bar(obj.as_json) as bar:
        task = bar.add_task("projects", total=len(projects))
        summary = sync.push_projects(api, url, plan_id, projects, cells, offline,
                                     advance=lambda n: bar.advance(task, n))
    text = (f"{len(projects)} projects: {summary['created']} registered, {summary['changed']} changed, "
            f"{summary['unchanged']} as on the server, {summary['skipped']} sent before, {summary['queued']} queued.")
    return _pushed(obj, summary, text, offline)


@push.command("requests")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--municipality", required=True, help="The municipality the requests were made to (its id).")
@click.option("--timezone", default="Europe/Istanbul", show_default=True,
              help="The zone of times written without one (e.g. Asia/Tehran).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 5000))
@click.option("--offline", is_flag=True, help="Queue the push for `ortak sync` instead of sending it now.")
@click.pass_obj
def push_requests(obj, file, municipality, timezone, batch_size, offline):
    """Send service requests (XLSX or CSV, one row per request with its own id) in batches. A row
    sent again is stored once, so run it again after an interruption; what cannot be sent waits
    for `ortak sync`."""
    url, api = obj.api()
    rows, unreadable = requests_book.read(file, timezone)
    if unreadable:
        raise CliError(f"{file} has {len(unreadable)} cell(s) that cannot be read; nothing was sent.", unreadable)
    places = [place for place, _ in rows]

    def refused(exc, start):
        exc.errors = requests_book.placed(exc.errors, places, start)
        if start:
            exc.args = (f"{exc.args[0]} (the first {start} rows were sent)",)
    with _bar(obj.as_json) as bar:
        task = bar.add_task("requests", total=len(rows))
        summary = sync.push_requests(api, url, municipality, [line for _, line in rows], batch_size, offline,
                                     advance=lambda n: bar.advance(task, n), refused=refused)
    text = (f"{len(rows)} requests in {summary['batches']} batches: {summary['created']} new, "
            f"{summary['skipped']} batches sent before, {summary['queued']} queued.")
    return _pushed(obj, summary, text, offline)


@cli.command()
@click.option("--plan", "plan_id", required=True)
@click.option("--municipality", required=True)
@click.option("--period", required=True, help="A period key of the plan: 2026-H1, 2026, 1405-H1 ...")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Follow a big approval, which the server carries out after answering, until it is done.")
@click.pass_obj
def approve(obj, plan_id, municipality, period, wait):
    """Approve a municipality's submitted readings of a period (four eyes: someone other than who
    submitted them). Sending it again approves nothing twice."""
    _, api = obj.api()
    response = api.request("POST", f"/plans/{plan_id}/readings/approve", harmless=True,
                           json={"municipality": municipality, "period": period})
    answer = response.json()
    if wait and answer["status"] == "applying":
        answer = api.follow(response, lambda a: a["status"] != "applying")
    if answer["status"] == "applying":
        return obj.done(answer, f"{answer['approved']} readings of {municipality} for {period} are being approved "
                                f"on the server (approval {answer['approval']}); the figures follow within a minute.")
    obj.done(answer, f"Approved {answer['approved']} readings of {municipality} for {period}; "
                     f"the figures follow within seconds.")


@cli.command("sync")
@click.pass_obj
def sync_command(obj):
    """Send the pushes queued while offline or while the server could not be reached."""
    url, api = obj.api()
    waiting = sync.queued()
    with _bar(obj.as_json) as bar:
        task = bar.add_task("queued", total=sum(sync.size(item) for _, item in waiting))
        summary = sync.drain(api, url, advance=lambda n: bar.advance(task, n))
    text = (f"Sent {summary['sent']} queued batches ({summary['accepted']} readings, {summary['projects']} projects, "
            f"{summary['requests']} service requests).")
    if summary["refused"]:
        lines = [f"  {item['file']} (plan {item['plan']}): {item['error']}" for item in summary["refused"].values()]
        obj.done(summary, "\n".join([f"{text} {len(summary['refused'])} refused by the server; they stay in the "
                                      f"outbox (remove a file to drop its batch):", *lines]))
        return REFUSED
    obj.done(summary, text)
    return OK


def main(argv=None):
    """Run the command; problems become messages on stderr and the documented exit codes."""
    try:
        result = cli.main(args=argv, prog_name="ortak", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("Aborted.")
        sys.exit(REFUSED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CliError as exc:
        as_json = "--json" in (argv if argv is not None else sys.argv)
        if as_json:
            click.echo(json.dumps({"error": str(exc), "errors": exc.errors, "exit": exc.code}, ensure_ascii=False))
        else:
            err.print(f"[bold red]{exc}[/]", highlight=False)
            for place, messages in exc.errors.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    err.print(f"  {place}: {message}", highlight=False, markup=False)
        sys.exit(exc.code)
    except (OSError, ValueError) as exc:
        err.print(f"[bold red]{exc}[/]", highlight=False)
        sys.exit(UsageError.code)
    sys.exit(result if isinstance(result, int) else OK)


if __name__ == "__main__":
    main()
