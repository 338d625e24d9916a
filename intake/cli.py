"""Every command: forms check, seed-demo, invite, brief, briefs refresh, jobs worker."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from . import catalogue, clinics, lifecycle, mail, outbox, phones
from .accounts.auth import hash_password
from .brief import jobs, store
from .brief.build import pdf_for
from .db import db
from .models import Clinic, Intake, IntakeStatus, PdfStatus, Role, Staff
from .questionnaire import DefinitionError, load_file
from .questionnaire.examples import check_examples

DEMO_SLUG = "demo"
DEMO_EMAIL = "therapist@demo.clinic"
# A fictional number (the 555-01xx range is reserved for fiction in North America).
DEMO_PHONE = "+12015550123"
DEMO_EMERGENCY = "555-0100"
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
    app.cli.add_command(seed_demo)
    app.cli.add_command(invite)
    app.cli.add_command(brief)
    app.cli.add_command(briefs)
    app.cli.add_command(jobs_cli)


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
    for path in files:
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        problems.extend(f"{path}: example {msg}" for msg in check_examples(definition))
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    click.echo(f"{len(files)} definition(s) OK")


def _migrate_and_sync() -> None:
    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
    catalogue.sync_builtin(current_app.config["FORMS_DIR"])


@click.command("seed-demo")
def seed_demo() -> None:
    """Migrate, then create a demo clinic, a therapist and one invitation; print them."""
    _migrate_and_sync()
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
    password = secrets.token_urlsafe(12)
    staff = db.session.scalar(select(Staff).where(Staff.email == DEMO_EMAIL))
    if staff is None:
        staff = Staff(
            clinic_id=clinic.id, email=DEMO_EMAIL, name="Demo Therapist", role=Role.ADMIN
        )
        db.session.add(staff)
    # A fresh password each run: the printed one is always the one that works.
    staff.password_hash = hash_password(password)
    db.session.commit()
    questionnaire = catalogue.latest_builtin(current_app.config["DEFAULT_QUESTIONNAIRE"])
    assert questionnaire is not None
    intake = lifecycle.invite(
        clinic,
        "Demo Client",
        questionnaire,
        therapist=staff,
        email="demo.client@example.org",
        phone=DEMO_PHONE,
    )
    click.echo(f"Client intake link: {lifecycle.client_link(intake)}")
    click.echo(f"Therapist sign-in:  {mail.external_url('staff.login')}")
    click.echo(f"  email:    {DEMO_EMAIL}")
    click.echo(f"  password: {password}")
    click.echo(
        "Crisis contacts: demo values (emergency number "
        f"{clinic.emergency_number}); set your own under Settings, Safety before real use."
    )


@click.command("invite")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--name", required=True, help="The client's name.")
@click.option("--questionnaire", "key", default=None, help="Questionnaire id (default: config).")
@click.option("--email", default=None, help="The client's email (they confirm it).")
@click.option(
    "--phone", default=None, help="The client's phone, e.g. +1 201 555 0123 (they confirm it)."
)
def invite(slug: str, name: str, key: str | None, email: str | None, phone: str | None) -> None:
    """Create an intake for a client and print its link."""
    clinic = db.session.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise click.ClickException(f"no clinic with slug '{slug}'")
    if not name.strip():
        raise click.ClickException("the client's name must not be blank")
    address = _checked_email(email)
    number = _checked_phone(phone, clinic.phone_region)
    catalogue.sync_builtin(current_app.config["FORMS_DIR"])
    version = catalogue.latest_builtin(key or current_app.config["DEFAULT_QUESTIONNAIRE"])
    if version is None:
        raise click.ClickException(f"no questionnaire '{key}'")
    try:
        intake = lifecycle.invite(clinic, name, version, email=address, phone=number)
    except clinics.CrisisContactsMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(lifecycle.client_link(intake))


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
    from rq import SimpleWorker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in the web process")
    queue = outbox.queue(app)
    outbox.sweep()  # whatever came due or was lost while no worker ran
    sweeper = None if burst else outbox.Sweeper(app, float(app.config["JOB_SWEEP_SECONDS"]))
    if sweeper is not None:
        sweeper.start()
    try:
        # SimpleWorker runs jobs in this process, inside this app context (no fork per job):
        # the render's child process and its warm fonts live as long as the worker.
        SimpleWorker([queue], connection=queue.connection).work(burst=burst)
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
    count = 0
    submitted = select(Intake).where(Intake.status == IntakeStatus.SUBMITTED)
    for intake in list(db.session.scalars(submitted)):
        if store.status(intake) != PdfStatus.READY:
            jobs.enqueue(intake)
            count += 1
    if outbox.runner(current_app) == "thread":
        outbox.wait(timeout=3600)
    click.echo(f"queued {count} brief(s)")
