"""Clinic questionnaires: copy, edit with line errors, upload, preview, examples, publish, diff."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, drafts, lifecycle
from intake.catalogue import definition_of
from intake.db import db
from intake.models import AuditEvent, Clinic, Intake, QuestionnaireVersion, Staff
from tests.helpers import EDIT, builtin_id, create, draft_text, post_form, press

V1_PROMPT = "What brings you here, in your own words?"
V2_PROMPT = "Why have you come to us?"
ORIGINAL = "What brings you to therapy now?"


def test_edit_preview_publish_invite_submit_brief(client: FlaskClient, admin: int) -> None:
    assert create(client).headers["Location"].endswith(EDIT)
    source = draft_text(admin)
    assert "id: ours" in source and "version: 1" in source
    edited = source.replace(ORIGINAL, V1_PROMPT)

    # Preview renders the client pages for the unsaved text and saves nothing.
    preview = press(client, "preview", edited)
    assert preview.status_code == 200
    assert html.escape(V1_PROMPT, quote=True) in preview.get_data(as_text=True) or (
        V1_PROMPT in html.unescape(preview.get_data(as_text=True))
    )
    assert "<iframe" in preview.get_data(as_text=True)
    assert V1_PROMPT not in draft_text(admin)

    # Run examples shows expected and actual side by side.
    examples = press(client, "examples", edited).get_data(as_text=True)
    assert "Worked examples" in examples and "matches" in examples and "DIFFERS" not in examples

    # Publish stores an immutable version; clients can be invited with it.
    assert press(client, "publish", edited).status_code == 302
    v1 = catalogue.latest_for(admin, "ours")
    assert v1 is not None and v1.clinic_id == admin and v1.version == 1
    assert V1_PROMPT in v1.source

    clinic = db.session.get(Clinic, admin)
    assert clinic is not None
    first = lifecycle.invite(clinic, "First Client", v1)
    _submit(first)

    # A second version, published later, does not change the first submission's brief.
    again = press(client, "publish", draft_text(admin).replace(V1_PROMPT, V2_PROMPT))
    assert "raise &#39;version&#39; to 2" in again.get_data(as_text=True)
    bumped = draft_text(admin).replace("version: 1", "version: 2")
    assert press(client, "publish", bumped).status_code == 302
    v2 = catalogue.latest_for(admin, "ours")
    assert v2 is not None and v2.version == 2 and v2.id != v1.id
    second = lifecycle.invite(clinic, "Second Client", v2)
    _submit(second)

    old_brief = client.get(f"/staff/intakes/{first.id}").get_data(as_text=True)
    new_brief = client.get(f"/staff/intakes/{second.id}").get_data(as_text=True)
    assert V1_PROMPT in html.unescape(old_brief) and V2_PROMPT not in html.unescape(old_brief)
    assert V2_PROMPT in html.unescape(new_brief)

    # The differences page shows the change between the versions.
    diff = client.get(f"/staff/questionnaires/ours/diff?a={v1.id}&b={v2.id}")
    text = html.unescape(diff.get_data(as_text=True))
    assert f"-          en: {V1_PROMPT}" in text and f"+          en: {V2_PROMPT}" in text

    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"questionnaire.created", "questionnaire.edited", "questionnaire.published"} <= actions


def _submit(intake: Intake) -> None:
    """Answer with the questionnaire's first worked example, plus the edited item."""
    definition = definition_of(intake.questionnaire)
    intake.answers = {**definition.examples[0].answers, "why_now": "It is time."}
    db.session.commit()
    lifecycle.submit(intake, definition)


def test_drafts_are_not_offered_to_invitations(client: FlaskClient, admin: int) -> None:
    create(client)
    page = client.get("/staff/invite").get_data(as_text=True)
    assert "Our intake" not in page
    assert catalogue.latest_for(admin, "ours") is None


def test_errors_point_at_lines_and_keep_the_text(client: FlaskClient, admin: int) -> None:
    create(client)
    good = draft_text(admin)
    broken = good.replace("type: long_text", "type: essay", 1)
    response = press(client, "save", broken)
    page = response.get_data(as_text=True)
    line = broken.splitlines().index("        type: essay") + 1
    assert f"Line {line}</a>" in page
    assert "type: essay" in page  # the textarea keeps exactly what was typed
    assert "type: essay" in draft_text(admin)  # and the draft keeps it too

    wrong_id = press(client, "save", good.replace("id: ours", "id: theirs")).get_data(as_text=True)
    assert "the id must stay &#39;ours&#39;" in wrong_id


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("form.txt", b"id: x\n", "Please upload a .yaml file."),
        ("form.yaml", b"\xff\xfe not utf8", "not UTF-8 text"),
        ("form.yaml", b"a" * (300 * 1024), "larger than 256 KB"),
    ],
)
def test_bad_uploads_are_refused_next_to_the_field(
    client: FlaskClient, admin: int, name: str, content: bytes, message: str
) -> None:
    create(client)
    typed = draft_text(admin) + "\n# my unsaved note\n"
    response = press(client, "upload", typed, upload=(io.BytesIO(content), name))
    page = response.get_data(as_text=True)
    assert message in page and 'id="upload-error"' in page
    assert "# my unsaved note" in page


def test_malformed_yaml_upload_shows_the_line(client: FlaskClient, admin: int) -> None:
    create(client)
    content = b"id: ours\nversion: 1\ntitle: [unclosed\npages: []\n"
    response = press(client, "upload", "", upload=(io.BytesIO(content), "ours.yaml"))
    page = response.get_data(as_text=True)
    assert "Line " in page and "title: [unclosed" in page


def test_duplicate_ids_are_refused(client: FlaskClient, admin: int) -> None:
    create(client)
    again = create(client).get_data(as_text=True)
    assert "There is already a questionnaire with the id &#39;ours&#39;." in again
    assert 'value="Our intake"' in again  # the title typed is still there
    builtin = create(client, "readiness").get_data(as_text=True)
    assert "already a questionnaire with the id" in builtin


def test_questionnaires_are_for_admins(client: FlaskClient, make_clinic: Any, login: Any) -> None:
    _, email = make_clinic()
    login(email)
    assert client.get("/staff/questionnaires").status_code == 403
    assert client.get(EDIT).status_code == 403


def test_another_clinics_draft_is_404(client: FlaskClient, admin: int, make_clinic: Any) -> None:
    south, _ = make_clinic("south")
    version = db.session.get(QuestionnaireVersion, builtin_id())
    assert version is not None
    drafts.create_copy(south, version, "southern", "S", actor_id=_any_staff(south))
    assert client.get("/staff/questionnaires/southern/edit").status_code == 404
    assert client.get("/staff/questionnaires/southern/diff").status_code == 404


def _any_staff(clinic_id: int) -> int:
    staff_id = db.session.scalar(select(Staff.id).where(Staff.clinic_id == clinic_id))
    assert staff_id is not None
    return staff_id


# Double clicks.


def test_a_double_create_says_the_id_is_taken(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, admin: int
) -> None:
    # Both clicks pass the check before either has stored its copy.
    monkeypatch.setattr(drafts, "key_taken", lambda clinic_id, key: False)
    assert create(client).status_code == 302
    again = create(client)
    assert again.status_code == 200
    assert "There is already a questionnaire with the id &#39;ours&#39;." in again.get_data(
        as_text=True
    )


def test_a_double_publish_says_the_version_is_taken(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, admin: int
) -> None:
    create(client)
    source = draft_text(admin)
    # Both clicks pass the check before either has stored its version.
    monkeypatch.setattr(drafts, "publish_problems", lambda row, definition: [])
    assert press(client, "publish", source).status_code == 302
    again = press(client, "publish", source)
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert "version 1 has just been published" in page
    assert source.split("\n")[0] in page  # what was typed is still in the editor
    assert len(catalogue.versions(admin, "ours")) == 1
    assert client.get(EDIT).status_code == 200


# One example checker: `forms check`, "Run examples" and Publish agree on every expectation.
WRONG_EXPECTATIONS = {
    "prorated": ("      prorated: []\n", "      prorated: [change]\n", "prorated expected"),
    "band": ("change: building, own_motivation", "change: strong, own_motivation", "band"),
    "flag": ("      flags: []\n", "      flags: [wide_gap]\n", "flags expected"),
}


@pytest.mark.parametrize(
    ("old", "new", "said"), list(WRONG_EXPECTATIONS.values()), ids=list(WRONG_EXPECTATIONS)
)
def test_cli_editor_and_publish_agree_on_a_wrong_example(
    app: Flask,
    client: FlaskClient,
    admin: int,
    tmp_path: Path,
    old: str,
    new: str,
    said: str,
) -> None:
    create(client)
    source = draft_text(admin)
    example_a = source.index("A3, engaged")
    assert source.index(old, example_a) < source.index("B3, hopes the therapist will lead")
    at = source.index(old, example_a)
    wrong = source[:at] + new + source[at + len(old) :]
    # The command line.
    path = tmp_path / "ours.yaml"
    path.write_text(wrong)
    result = app.test_cli_runner().invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith(f"{path}: example A3, engaged, wish for change mixed: ")
    assert said in line
    # The editor's "Run examples".
    table = press(client, "examples", wrong).get_data(as_text=True)
    assert table.count("DIFFERS") == 1
    # Publish.
    refused = press(client, "publish", wrong)
    assert refused.status_code == 200
    assert "example &#39;A3, engaged, wish for change mixed&#39;" in refused.get_data(as_text=True)
    assert catalogue.versions(admin, "ours") == []


def test_a_clinic_can_copy_the_phq9_run_its_examples_and_publish(
    client: FlaskClient, admin: int
) -> None:
    phq9 = catalogue.latest_builtin("phq9")
    assert phq9 is not None
    form = {"original": str(phq9.id), "key": "ours", "title": "Our PHQ-9"}
    assert post_form(client, "/staff/questionnaires", form).headers["Location"].endswith(EDIT)
    source = draft_text(admin)
    assert "method: sum" in source and "never_impute: [phq9_9]" in source
    preview = html.unescape(press(client, "preview", source).get_data(as_text=True))
    assert "Little interest or pleasure in doing things" in preview
    assert "No permission required to reproduce" in " ".join(preview.split())
    table = press(client, "examples", source).get_data(as_text=True)
    assert "DIFFERS" not in table and table.count("matches") >= 30
    assert "rounded up to 23" in html.unescape(table)
    assert press(client, "publish", source).status_code == 302
    version = catalogue.latest_for(admin, "ours")
    assert version is not None
    (total,) = definition_of(version).dimensions
    assert total.is_sum and total.codes[0].code == "44261-6"
