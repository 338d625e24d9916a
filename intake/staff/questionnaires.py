"""Clinic questionnaires (admins): copy, edit, upload, preview, run examples, publish, diff."""

from __future__ import annotations

import difflib
import json
from pathlib import PurePath
from types import SimpleNamespace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import catalogue, clinics, drafts, i18n
from ..access import admin_only
from ..client.forms import page_form
from ..db import db
from ..models import QuestionnaireDraft, QuestionnaireVersion
from ..questionnaire import Definition, Problem
from ..questionnaire.examples import example_rows
from . import bp
from .forms import EditQuestionnaireForm, NewQuestionnaireForm

MAX_UPLOAD = 256 * 1024


@bp.route("/questionnaires", methods=["GET", "POST"])
@admin_only
def questionnaire_list() -> BaseResponse | str:
    """The built-in and the clinic's questionnaires, and the form to start a new one."""
    clinic_id = current_user.clinic_id
    form = NewQuestionnaireForm()
    available = catalogue.available(clinic_id)
    form.original.choices = [(str(v.id), f"{v.title} (v{v.version})") for v in available]
    if form.validate_on_submit():
        original = catalogue.usable_version(clinic_id, int(form.original.data))
        key = form.key.data or ""
        if original is not None and not drafts.key_taken(clinic_id, key):
            try:
                drafts.create_copy(
                    clinic_id, original, key, form.title.data or "", current_user.id
                )
            except drafts.DuplicateKey:
                pass  # created meanwhile (a double click): said below, beside the field
            else:
                return redirect(url_for("staff.questionnaire_edit", key=key))
        form.key.errors = [f"There is already a questionnaire with the id '{key}'."]
    return render_template(
        "staff/questionnaires.html",
        form=form,
        available=available,
        drafts=drafts.drafts(clinic_id),
    )


@bp.route("/questionnaires/<key>/edit", methods=["GET", "POST"])
@admin_only
def questionnaire_edit(key: str) -> BaseResponse | str:
    """Edit a draft: save, upload, preview as client, run examples, publish."""
    row = drafts.draft(current_user.clinic_id, key) or abort(404)
    form = EditQuestionnaireForm(data={"source": row.source})
    action = request.form.get("action", "")
    problems: list[Problem] = []
    examples = None
    if form.validate_on_submit():
        text = (form.source.data or "").replace("\r\n", "\n")
        if action == "upload":
            uploaded = _uploaded_text(form, row)
            if uploaded is None:
                return _edit_page(form, row, problems)
            form.source.data = text = uploaded
        definition, problems = drafts.check(row, text)
        if action == "preview" and definition is not None:
            return _preview(definition)
        if action in ("save", "upload", "publish"):
            drafts.save(row, text, current_user.id, valid=definition is not None)
        if action == "examples" and definition is not None:
            examples = example_rows(definition)
        if action == "publish" and definition is not None:
            problems = drafts.publish_problems(row, definition)
            if not problems:
                try:
                    version = drafts.publish(row, definition)
                except drafts.VersionTaken:
                    problems = [_already_published(row, definition)]
                else:
                    flash(f"Version {version.version} is published; invitations can now use it.")
                    return redirect(url_for("staff.questionnaire_edit", key=key))
        if action == "save" and not problems:
            flash("Saved. The draft is valid.")
    return _edit_page(form, row, problems, examples)


def _already_published(row: QuestionnaireDraft, definition: Definition) -> Problem:
    """Said when the same version was published meanwhile (a double click, another tab)."""
    message = (
        f"version {definition.version} has just been published (perhaps from another tab);"
        f" raise 'version' to {definition.version + 1} to publish these changes"
    )
    return Problem(f"{row.key}.yaml", "version", None, message)


def _edit_page(
    form: EditQuestionnaireForm,
    row: QuestionnaireDraft,
    problems: list[Problem],
    examples: Any = None,
) -> str:
    """The editor with problems listed by line."""
    return render_template(
        "staff/questionnaire_edit.html",
        form=form,
        draft=row,
        problems=sorted(problems, key=lambda p: p.line or 0),
        examples=examples,
        versions=catalogue.versions(row.clinic_id, row.key),
    )


def _uploaded_text(form: EditQuestionnaireForm, row: QuestionnaireDraft) -> str | None:
    """The uploaded file's text (a FHIR Questionnaire turned into ours), or None with an
    error on the field."""
    upload = form.upload.data
    if not upload or not getattr(upload, "filename", ""):
        form.upload.errors = ["Please choose a file to upload."]
        return None
    suffix = PurePath(upload.filename).suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        form.upload.errors = [
            "Please upload a .yaml file. (A FHIR Questionnaire uploads as .json.)"
        ]
        return None
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        form.upload.errors = [f"The file is larger than {MAX_UPLOAD // 1024} KB."]
        return None
    try:
        text = str(data.decode("utf-8")).replace("\r\n", "\n")
    except UnicodeDecodeError:
        form.upload.errors = ["The file is not UTF-8 text; save it with UTF-8 encoding."]
        return None
    if "\x00" in text:
        form.upload.errors = ["The file holds NUL characters, so it is not a text file."]
        return None
    if suffix == ".json":
        return _from_fhir(form, row, text)
    return text


def _from_fhir(form: EditQuestionnaireForm, row: QuestionnaireDraft, text: str) -> str | None:
    """A FHIR Questionnaire's text as our YAML, what changed said at its top and here."""
    try:
        imported = drafts.from_fhir(row, _parsed(text))
    except ValueError as exc:  # not JSON, or not a Questionnaire
        reason = "it is not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        form.upload.errors = [f"This file cannot be imported: {reason}."]
        return None
    count = len(imported.notes)
    flash(
        "Imported from FHIR. "
        + (f"{count} thing{'s' if count != 1 else ''} could not be kept as they were: see the"
           " comments at the top, then review, preview and publish."
           if count else "Review it, preview it and publish it.")
    )  # fmt: skip
    return imported.yaml()


def _parsed(text: str) -> object:
    """JSON text as data; nesting too deep to read is refused like any text that is not JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def _preview(definition: Definition) -> str:
    """Every page of the draft as the client would see it, in each language it offers,
    rendered by the client templates."""
    fake = SimpleNamespace(
        clinic=current_user.clinic,
        client_name="Preview client",
        token="preview",
        answers={},
        therapist=None,
    )
    languages = []
    for code in definition.offered_languages:
        with force_locale(code):
            pages = _preview_pages(definition.in_language(code), fake)
        languages.append((code, i18n.language_name(code), pages))
    return render_template(
        "staff/questionnaire_preview.html", definition=definition, languages=languages
    )


def _preview_pages(definition: Definition, fake: SimpleNamespace) -> list[str]:
    """The welcome, every page and the safety page, in the definition's language."""
    pages = [render_template("client/welcome.html", intake=fake, definition=definition,
                             first=definition.pages[0].id)]  # fmt: skip
    total = len(definition.pages)
    for number, page in enumerate(definition.pages, start=1):
        form = page_form(definition, page.items, strict=False, formdata=None, data={})
        pages.append(
            render_template(
                "client/page.html",
                intake=fake,
                definition=definition,
                page=page,
                items=page.items,
                form=form,
                number=number,
                total=total,
                first=number == 1,
                ask_again=False,
            )
        )
    if definition.safety is not None:
        crisis = clinics.crisis_for(fake.clinic, definition.language)
        pages.append(
            render_template(
                "client/support.html",
                intake=fake,
                safety=definition.safety,
                crisis=crisis,
                continue_url="#",
            )
        )
    return pages


@bp.get("/questionnaires/<key>/diff")
@admin_only
def questionnaire_diff(key: str) -> str:
    """The differences between two versions (or a version and the draft)."""
    clinic_id = current_user.clinic_id
    row = drafts.draft(clinic_id, key)
    published = catalogue.versions(clinic_id, key)
    if row is None and not published:
        abort(404)
    texts: dict[str, tuple[str, str]] = {
        str(v.id): (f"version {v.version}", v.source) for v in published
    }
    if row is not None:
        texts["draft"] = ("draft", row.source)
        if row.based_on_id and (base := db.session.get(QuestionnaireVersion, row.based_on_id)):
            label = f"copied from {base.title} v{base.version}"
            texts.setdefault(str(base.id), (label, base.source))
    order = list(texts)
    a = request.args.get("a", "")
    a = a if a in texts else order[-1]
    b = request.args.get("b", "")
    b = b if b in texts else order[0]
    lines = list(
        difflib.unified_diff(
            texts[a][1].splitlines(),
            texts[b][1].splitlines(),
            fromfile=texts[a][0],
            tofile=texts[b][0],
            lineterm="",
        )
    )
    return render_template(
        "staff/questionnaire_diff.html",
        key=key,
        choices=[(k, texts[k][0]) for k in order],
        a=a,
        b=b,
        lines=lines,
    )
