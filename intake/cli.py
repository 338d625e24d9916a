"""Every command: forms (check, score, import-fhir), prepare, seed-demo, invite, brief(s),
jobs worker, export (fhir, csv), backup, restore, clients (export, erase), retention apply,
keys (generate, rotate)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import IO, Any

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from . import (
    audit,
    backup,
    catalogue,
    clinics,
    crypto,
    erasure,
    intake_sets,
    keys,
    lifecycle,
    logs,
    mail,
    outbox,
    phones,
    retention,
    serving,
)
from .accounts.auth import has_password, hash_password
from .brief import jobs
from .brief.build import pdf_for
from .db import db
from .exports import client as client_export
from .exports import fhir as fhir_export
from .exports import tables
from .fhir.importer import NotAQuestionnaire, import_questionnaire
from .models import Clinic, Intake, IntakeStatus, QuestionnaireVersion, Role, Staff
from .questionnaire import Definition, DefinitionError, load_file, load_text
from .questionnaire.answers import answer_problems
from .questionnaire.bundle import problems as bundle_problems
from .questionnaire.examples import check_examples
from .scoring import score, summary

DEMO_SLUG = "demo"
DEMO_EMAIL = "therapist@demo.clinic"
DEMO_CLIENT = "Demo Client"
# A fictional number (the 555-01xx range is reserved for fiction in North America).
DEMO_PHONE = "+12015550123"
DEMO_EMERGENCY = "555-0100"
DEMO_TIME_ZONE = "America/New_York"
DEMO_CRISIS_TEXTS = {
    "en": "DEMO CLINIC, sample text: a real clinic names its local crisis line here, with how"
    " to reach it day and night. In a real emergency, call your local emergency number.",
    "es": "CLÍNICA DE DEMOSTRACIÓN, texto de ejemplo: una clínica real indica aquí su línea de"
    " crisis local y cómo contactarla de día y de noche. En una emergencia real, llame a su"
    " número de emergencias local.",
}
DEMO_PROCEDURE = (
    "DEMO procedure: the assigned therapist calls the client within 2 hours; if there is no"
    " answer, they try again and tell the clinical lead. Record every attempt on the intake."
)


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    app.cli.add_command(forms)
    app.cli.add_command(prepare)
    app.cli.add_command(seed_demo)
    app.cli.add_command(invite)
    app.cli.add_command(brief)
    app.cli.add_command(briefs)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(export)
    app.cli.add_command(clients)
    app.cli.add_command(retention_cli)
    app.cli.add_command(keys_cli)


@click.group("keys")
def keys_cli() -> None:
    """Encryption keys of client data at rest (intake/crypto.py)."""


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a new random key (for INTAKE_ENCRYPTION_KEYS or INTAKE_SEARCH_KEYS)."""
    click.echo(crypto.new_key())


@keys_cli.command("rotate")
@click.option("--batch", default=keys.BATCH, show_default=True, help="Rows per transaction.")
@click.option(
    "--search",
    "search_only",
    is_flag=True,
    help="Only rebuild the name-search index (under the first of INTAKE_SEARCH_KEYS).",
)
def keys_rotate(batch: int, search_only: bool) -> None:
    """Re-encrypt every encrypted value with the first key of INTAKE_ENCRYPTION_KEYS, then
    rebuild the name-search index under the first key of INTAKE_SEARCH_KEYS.

    Safe to interrupt and run again: values and index rows already under the first key are
    skipped. Once it reports nothing left to do, the older keys may be removed from the
    configuration. Prints counts only, never a name.
    """
    ring = crypto.keyring()
    if not search_only:
        click.echo(f"Re-encrypting with key {ring.current} (batches of {batch}).")
        total = 0
        for counts in keys.rotate(batch):
            total += counts.rotated
            click.echo(
                f"{counts.column}: {counts.read} values, {counts.rotated} re-encrypted,"
                f" {counts.current} already current"
            )
        click.echo(f"Done: {total} values re-encrypted; every value is under key {ring.current}.")
    click.echo(
        f"Rebuilding the name-search index with search key {ring.search_current}"
        f" (batches of {batch})."
    )
    index = keys.rotate_search(batch)
    click.echo(
        f"{index.column}: {index.read} intakes, {index.rotated} rebuilt,"
        f" {index.current} already current"
    )
    click.echo(
        f"Done: {index.rotated} intakes' index rebuilt; every row is under search key"
        f" {ring.search_current}."
    )


@click.group()
def forms() -> None:
    """Questionnaire definitions."""


@forms.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def forms_check(paths: tuple[Path, ...]) -> None:
    """Validate definitions and run their examples (default: every file in forms/)."""
    files: list[Path] = []
    for path in paths or (Path(current_app.config["FORMS_DIR"]),):
        files.extend(catalogue.definition_files(path) if path.is_dir() else [path])
    problems: list[str] = []
    loaded: dict[str, tuple[Path, Definition]] = {}
    for path in files:
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        loaded.setdefault(definition.id, (path, definition))
        problems.extend(f"{path}: example {msg}" for msg in check_examples(definition))
    # A safety item that stands for another file's must be able to be asked with it.
    for path, definition in loaded.values():
        for other in definition.safety.stands_for if definition.safety else ():
            if other in loaded:
                pair = [definition, loaded[other][1]]
                problems.extend(
                    f"{path}: safety.stands_for '{other}': {msg}" for msg in bundle_problems(pair)
                )
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    click.echo(f"{len(files)} definition(s) OK")


@forms.command("score")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--answers",
    "answers_file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="A JSON object of answers by item id; '-' reads them from standard input.",
)
def forms_score(path: Path, answers_file: IO[str]) -> None:
    """Score answers against one definition and print the result as JSON.

    Each measure on its own scale (id, score, status, band, items used and missing), the
    flags and whether the answers are urgent. Exit 1, saying why, when the definition or
    the answers are not valid.
    """
    try:
        definition = load_file(path)
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    name = "standard input" if answers_file.name == "<stdin>" else answers_file.name
    try:
        answers = json.load(answers_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{name}: not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(answers, dict):
        raise click.ClickException(f"{name}: must be a JSON object of answers by item id")
    wrong = answer_problems(definition, answers)
    for item_id, message in wrong:
        click.echo(f"{name}: {item_id}: {message}", err=True)
    if wrong:
        sys.exit(1)
    result = score(definition, answers)
    click.echo(json.dumps(summary(definition, result), indent=2, ensure_ascii=False))


@forms.command("import-fhir")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the YAML here (default: standard output).")  # fmt: skip
@click.option("--id", "key", default=None, help="The new questionnaire's id (default: its name).")
def forms_import_fhir(path: Path, output: Path | None, key: str | None) -> None:
    """Turn a FHIR R4 Questionnaire (JSON) into a definition to review, preview and publish.

    What could not be mapped is listed on standard error with each item's linkId, and as
    comments at the top of the YAML. Exit 1 when the result is not a valid definition.
    """
    try:
        resource = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise click.ClickException(f"{path}: not JSON ({exc or 'nested too deeply'})") from None
    try:
        imported = import_questionnaire(resource, key=key)
    except NotAQuestionnaire as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    text = imported.yaml()
    for note in imported.notes:
        click.echo(f"{path}: {note}", err=True)
    where = str(output) if output else f"{path.stem}.yaml"
    problems: list[str] = []
    try:
        definition = load_text(text, source=where)
        problems = [f"{where}: example {m}" for m in check_examples(definition)]
    except DefinitionError as exc:
        problems = [str(p) for p in exc.problems]
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        sys.exit(1)


def _migrate_and_sync() -> None:
    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
    catalogue.sync_builtin(current_app.config["FORMS_DIR"])


@click.command("prepare")
def prepare() -> None:
    """Migrate the database and store the built-in questionnaires (before each new version)."""
    _migrate_and_sync()
    click.echo("database migrated; built-in questionnaires stored")


@click.command("seed-demo")
@click.option(
    "--new-password",
    is_flag=True,
    help="Give the demo account a new password (the old one stops working) and print it.",
)
def seed_demo(new_password: bool) -> None:
    """Migrate, then create a demo clinic, its admin and one invitation; print them.

    Run again, it keeps the admin's password (unless --new-password) and the demo client's
    open invitation, so what an earlier run printed still works.
    """
    _migrate_and_sync()
    _warn_unless_base_url_known()
    clinic = db.session.scalar(select(Clinic).where(Clinic.slug == DEMO_SLUG))
    if clinic is None:
        clinic = Clinic(slug=DEMO_SLUG, name="Demo Practice")
        db.session.add(clinic)
        db.session.flush()
    if clinics.missing_crisis_contacts(clinic):
        # Explicit demo values, labelled as such wherever they show; never a built-in default.
        clinic.emergency_number = clinic.emergency_number or DEMO_EMERGENCY
        clinic.crisis_texts = {**DEMO_CRISIS_TEXTS, **(clinic.crisis_texts or {})}
        clinic.safety_procedure = clinic.safety_procedure or DEMO_PROCEDURE
        clinic.phone_region = clinic.phone_region or "US"
    if not clinic.time_zone or clinic.time_zone == "UTC":
        # Staff read times in the clinic's zone: the demo's is the one of its phone region.
        clinic.time_zone = DEMO_TIME_ZONE
    staff = db.session.scalar(select(Staff).where(Staff.email == DEMO_EMAIL))
    password = None
    if staff is None:
        staff = Staff(
            clinic_id=clinic.id, email=DEMO_EMAIL, name="Demo Therapist", role=Role.ADMIN
        )
        db.session.add(staff)
    if staff.password_hash is None or not has_password(staff) or new_password:
        password = secrets.token_urlsafe(12)
        staff.password_hash = hash_password(password)
    db.session.commit()
    intake, reused = _demo_intake(clinic, staff)
    click.echo(f"Client intake link: {lifecycle.client_link(intake)}")
    if reused:
        click.echo(
            "  (the demo client's open invitation from an earlier run, with a new link: only"
            " a link's hash is stored, so the one printed before no longer works)"
        )
    click.echo(f"Staff sign-in:      {mail.external_url('staff.login')}")
    click.echo(f"  account:  {staff.name}, {staff.role.label.lower()} of {clinic.name}")
    click.echo(f"  email:    {DEMO_EMAIL}")
    if password is not None:
        click.echo(f"  password: {password}")
    else:
        click.echo(
            "  password: unchanged, the one printed when this account was created"
            " (`flask --app intake seed-demo --new-password` sets a new one; the old one"
            " then stops working)"
        )
    click.echo(
        "Crisis contacts: demo values (emergency number "
        f"{clinic.emergency_number}); set your own under Settings, Safety before real use."
    )


def _demo_intake(clinic: Clinic, staff: Staff) -> tuple[Intake, bool]:
    """The demo client's intake: the open one from an earlier run, else a new invitation."""
    # Names are encrypted: the demo clinic's open intakes are few, so they are read here.
    open_ones = db.session.scalars(
        select(Intake)
        .where(Intake.clinic_id == clinic.id, Intake.status != IntakeStatus.SUBMITTED)
        .order_by(Intake.id.desc())
    )
    earlier = next((i for i in open_ones if i.client_name == DEMO_CLIENT), None)
    if earlier is not None and lifecycle.link_problem(earlier) is None:
        # Only the link's hash is stored: a new link is made (the earlier one stops working).
        lifecycle.resend(earlier)
        return earlier, True
    questionnaire = catalogue.latest_builtin(current_app.config["DEFAULT_QUESTIONNAIRE"])
    assert questionnaire is not None
    intake = lifecycle.invite(
        clinic,
        DEMO_CLIENT,
        questionnaire,
        therapist=staff,
        email="demo.client@example.org",
        phone=DEMO_PHONE,
    )
    return intake, False


def _warn_unless_base_url_known() -> None:
    """Printed links need the address clients reach; say so when it is only a guess."""
    if not mail.base_url_known():
        click.echo(
            f"Note: INTAKE_PUBLIC_BASE_URL is not set; links assume the app serves on"
            f" {mail.base_url()} (`make run` sets it to the address it serves).",
            err=True,
        )


@click.command("invite")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--name", required=True, help="The client's name.")
@click.option(
    "--questionnaire",
    "-q",
    "keys",
    multiple=True,
    help="Questionnaire id (default: config); repeat it to ask several through one link.",
)
@click.option("--set", "set_name", default=None, help="The name of one of the clinic's sets.")
@click.option("--email", default=None, help="The client's email (they confirm it).")
@click.option(
    "--phone", default=None, help="The client's phone, e.g. +1 201 555 0123 (they confirm it)."
)
def invite(
    slug: str,
    name: str,
    keys: tuple[str, ...],
    set_name: str | None,
    email: str | None,
    phone: str | None,
) -> None:
    """Create an intake for a client and print its link."""
    clinic = db.session.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise click.ClickException(f"no clinic with slug '{slug}'")
    if not name.strip():
        raise click.ClickException("the client's name must not be blank")
    address = _checked_email(email)
    number = _checked_phone(phone, clinic.phone_region)
    catalogue.sync_builtin(current_app.config["FORMS_DIR"])
    asked = _asked(clinic, keys, set_name)
    _warn_unless_base_url_known()
    try:
        intake = lifecycle.invite(clinic, name, asked, email=address, phone=number)
    except clinics.CrisisContactsMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(lifecycle.client_link(intake))


def _asked(
    clinic: Clinic, keys: tuple[str, ...], set_name: str | None
) -> QuestionnaireVersion | list[QuestionnaireVersion]:
    """What an invitation from the command line asks: one questionnaire (as always), the
    questionnaires given in order, or a set of the clinic's by name."""
    if set_name is not None and keys:
        raise click.ClickException("give either --set or --questionnaire, not both")
    if set_name is not None:
        chosen = intake_sets.by_name(clinic.id, set_name)
        if chosen is None:
            names = ", ".join(s.name for s in intake_sets.sets_of(clinic.id)) or "none yet"
            raise click.ClickException(f"no set named '{set_name}' (the clinic's sets: {names})")
        keys = tuple(chosen.questionnaires)
    if len(keys) > 1 or set_name is not None:
        try:
            return intake_sets.resolve(clinic.id, keys)
        except intake_sets.BundleError as exc:
            raise click.ClickException("; ".join(exc.problems)) from None
    key = keys[0] if keys else None
    version = catalogue.latest_builtin(key or current_app.config["DEFAULT_QUESTIONNAIRE"])
    if version is None:
        raise click.ClickException(f"no questionnaire '{key}'")
    return version


def _checked_email(email: str | None) -> str | None:
    """An email address given on the command line, checked like the staff form checks it."""
    if email is None or not email.strip():
        return None
    try:
        return str(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise click.ClickException(f"--email: {exc}") from None


def _checked_phone(phone: str | None, region: str | None) -> str | None:
    """A phone number given on the command line, in E.164 (read in the clinic's region)."""
    if phone is None or not phone.strip():
        return None
    try:
        return phones.parse(phone, region)
    except phones.PhoneError as exc:
        raise click.ClickException(f"--phone: {phones.STAFF_MESSAGES[exc.reason]}") from None


@click.command("brief")
@click.argument("intake_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def brief(intake_id: int, output: Path) -> None:
    """Write a submitted intake's brief to a PDF file."""
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        raise click.ClickException(f"no intake {intake_id}")
    if not intake.submitted:
        raise click.ClickException(f"intake {intake_id} is not submitted yet ({intake.status})")
    output.write_bytes(pdf_for(intake))
    click.echo(f"wrote {output}")


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs: the worker that runs them."""


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is due, then stop.")
def jobs_worker(burst: bool) -> None:
    """Run background jobs from Redis (brief PDFs, urgent notices), and sweep for due ones."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in the web process")
    queue = outbox.queue(app)
    # Templates, definitions and the render child's fonts loaded before the first job, and
    # kept: the worker runs every job in this process, inside this app context (RQ's
    # SimpleWorker: no fork per job), each under the request id it was queued with.
    serving.warm_up(app, worker=True)
    # A deploy may have changed the templates or the brief code: stale PDFs are made anew.
    jobs.schedule_refresh()
    retention.schedule_daily()
    db.session.commit()
    outbox.sweep()  # whatever came due or was lost while no worker ran
    sweeper = None if burst else outbox.Sweeper(app, float(app.config["JOB_SWEEP_SECONDS"]))
    if sweeper is not None:
        sweeper.start()
    try:
        logs.worker_class()([queue], connection=queue.connection).work(burst=burst)
    finally:
        if sweeper is not None:
            sweeper.stop()


@click.group("briefs")
def briefs() -> None:
    """Brief PDFs: the worker (the jobs worker, by its older name) and a sweep for stale ones."""


briefs.add_command(jobs_worker, "worker")


@briefs.command("refresh")
def briefs_refresh() -> None:
    """Queue a render for every submitted intake whose stored PDF is not current."""
    count = jobs.refresh()
    if outbox.runner(current_app) == "thread":
        outbox.wait(timeout=3600)
    click.echo(f"queued {count} brief(s)")


@click.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def backup_command(output: Path) -> None:
    """Write the whole database to FILE: a pg_dump archive, or a copy of the SQLite file."""
    held = backup.inventory()
    try:
        backup.backup(db.engine.url, output)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {held} to {output}")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Load a backup FILE into the configured database, which must be empty; check it."""
    try:
        backup.restore(db.engine.url, source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.remove()
    found = backup.inventory()
    if found.damaged_pdfs:
        raise click.ClickException(f"restored, but {found}: the backup file is damaged")
    click.echo(f"restored {found} from {source}")
    click.echo("next: flask --app intake prepare (migrates it if this version is newer)")


@click.group("export")
def export() -> None:
    """Submitted intakes for other systems: a FHIR Bundle, CSV with its data dictionary."""


@export.command("fhir")
@click.argument("intake_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_fhir(intake_id: int, output: Path | None) -> None:
    """Print (or write) a submitted intake's FHIR Bundle: Questionnaire, response, Observations."""
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        raise click.ClickException(f"no intake {intake_id}")
    if not intake.submitted:
        raise click.ClickException(f"intake {intake_id} is not submitted yet ({intake.status})")
    text = json.dumps(fhir_export.intake_bundle(intake), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@export.command("csv")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD) the intakes were sent on.")  # fmt: skip
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (YYYY-MM-DD), included.")  # fmt: skip
@click.option("--include-text", is_flag=True, help="Include free-text answers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_csv(slug: str, start: Any, end: Any, include_text: bool, output: Path) -> None:
    """Write a clinic's submitted intakes as CSV, and FILE.dictionary.csv beside it."""
    clinic = db.session.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise click.ClickException(f"no clinic with slug '{slug}'")
    first, last = (start.date() if start else None), (end.date() if end else None)
    if first and last and last < first:
        raise click.ClickException("--to is before --from")
    dictionary = output.with_name(output.name.removesuffix(".csv") + ".dictionary.csv")
    with output.open("w", encoding="utf-8", newline="") as out:
        out.writelines(tables.intakes_csv(clinic.id, first, last, include_text=include_text))
    with dictionary.open("w", encoding="utf-8", newline="") as out:
        out.writelines(tables.dictionary_csv(clinic.id, first, last, include_text=include_text))
    click.echo(f"wrote {output} and {dictionary}")


@click.group("clients")
def clients() -> None:
    """A client's data rights: everything held about them as a zip, or erased."""


@clients.command("export")
@click.argument("intake_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def clients_export(intake_id: int, output: Path) -> None:
    """Write everything held about one intake's client to a zip FILE (audited)."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.status == IntakeStatus.ERASED:
        raise click.ClickException(f"no intake {intake_id}" + (" (erased)" if intake else ""))
    data = client_export.archive(intake)
    output.write_bytes(data)
    output.chmod(0o600)  # a client's whole record: readable by its owner only
    audit.record("client.exported", clinic_id=intake.clinic_id, subject=intake, via="command")
    click.echo(f"wrote {output} ({len(data)} bytes)")


@clients.command("erase")
@click.argument("intake_id", type=int)
@click.option("--yes", is_flag=True, help="Erase without asking (the erasure cannot be undone).")
def clients_erase(intake_id: int, yes: bool) -> None:
    """Erase everything held about one intake's client; a tombstone of dates stays."""
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        raise click.ClickException(f"no intake {intake_id}")
    if not yes:
        click.confirm(f"Erase intake {intake_id} for good?", abort=True)
    try:
        deleted = erasure.erase(intake)
    except erasure.AlreadyErased as exc:
        raise click.ClickException(f"intake {intake_id} was already erased") from exc
    counts = ", ".join(f"{k} {v}" for k, v in deleted.items() if v)
    click.echo(f"erased intake {intake_id}" + (f" ({counts})" if counts else ""))


@click.group("retention")
def retention_cli() -> None:
    """The clinics' retention settings."""


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Only list what would be erased.")
def retention_apply(dry_run: bool) -> None:
    """Erase every intake a clinic's retention settings say is kept long enough."""
    found = retention.apply(dry_run=dry_run)
    for item in found:
        click.echo(("would erase " if dry_run else "erased ") + item.line())
    verb = "would erase" if dry_run else "erased"
    click.echo(f"{verb} {len(found)} intake(s)")
