"""`ortak`: prepare a district's contribution and readings offline, in spreadsheets, and sync them.

Exit codes: 0 done, 1 refused (the errors say where), 2 usage, 3 the plan changed meanwhile,
4 the server could not be reached (a push is then queued for `ortak sync`), 5 not allowed.
"""
import json
import os
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.plan_registry import domain as rules
from services.plan_registry.schemas import ContributionSchema
from shared.errors import InvalidInput
from shared.validation import Problems, load

from . import contribution_book, readings_book, settings, sync
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
    current = plan["contributions"].get(municipality, {"objectives": []}) if filled else None
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


def check_contribution(plan, municipality, contribution, cells, unreadable):
    """Every problem of the workbook by cell, with the server's own rules."""
    found = dict(unreadable)
    problems = Problems()
    try:
        loaded = load(ContributionSchema(), contribution)
    except InvalidInput as exc:
        problems.errors.update(exc.errors)
    else:
        rules.contribution_problems(plan, municipality, loaded, problems)
    for path, messages in problems.errors.items():
        places = contribution_book.locate(path, cells) or [path]
        for place in places:
            if place in found:   # a cell already unreadable: that is its problem
                continue
            found.setdefault(place, []).extend(f"{path}: {m}" for m in messages)
    return found


@push.command("contribution")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--rebase", is_flag=True, help="Send even though the plan changed since the workbook was made.")
@click.option("--check", is_flag=True, help="Only check the workbook; send nothing.")
@click.pass_obj
def push_contribution(obj, file, rebase, check):
    """Check a contribution workbook with the server's rules, then send it with If-Match."""
    _, api = obj.api()
    about, contribution, cells, unreadable = contribution_book.read(file)
    plan_id, municipality, version = about["plan"], about["municipality"], int(about["version"])
    plan = _plan(api, plan_id)
    problems = check_contribution(plan, municipality, contribution, cells, unreadable)
    if problems:
        raise CliError(f"{file} has {len(problems)} problem(s); nothing was sent.", problems)
    if check:
        return obj.done({"problems": {}}, f"{file} is ready to send.")
    if plan["version"] != version:
        changes = api.get(f"/plans/{plan_id}/diff", params={"from": version, "to": plan["version"]})
        if not rebase:
            raise CliError(f"The plan changed on the server since this workbook was made (version {version} -> "
                           f"{plan['version']}); look at the changes, then push again with --rebase.",
                           {"changes": [json.dumps(changes, ensure_ascii=False)]}, CONFLICT)
        version = plan["version"]
    answer = api.request("PUT", f"/plans/{plan_id}/contributions/{municipality}", json=contribution,
                         headers={"If-Match": f'"{version}"'}).json()
    obj.done({"version": answer.get("version"), "objectives": len(contribution["objectives"])},
             f"Sent {len(contribution['objectives'])} objectives of {municipality}; plan version {answer.get('version')}.")


def _bar(quiet):
    """A progress bar on stderr, when a person is watching."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, disable=quiet or not err.is_terminal, transient=True)


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
    if summary["queued"]:
        why = "offline" if offline else summary["unreachable"]
        obj.done(summary, f"{text} Queued ({why}); run `ortak sync` to send them.")
        return UNREACHABLE
    obj.done(summary, text)
    return OK


@cli.command("sync")
@click.pass_obj
def sync_command(obj):
    """Send the pushes queued while offline or while the server could not be reached."""
    url, api = obj.api()
    waiting = sync.queued(url)
    with _bar(obj.as_json) as bar:
        task = bar.add_task("queued readings", total=sum(len(item["readings"]) for _, item in waiting))
        summary = sync.drain(api, url, advance=lambda n: bar.advance(task, n))
    obj.done(summary, f"Sent {summary['sent']} queued batches ({summary['accepted']} readings).")


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
