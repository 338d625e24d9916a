"""The API for admins: issue tokens (shown once), revoke them, set the submission webhook."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import api_tokens, webhooks
from ..access import admin_only
from ..models import ApiScope
from . import bp
from .forms import ApiTokenForm, WebhookForm


def _page(
    form: ApiTokenForm | None = None,
    hook_form: WebhookForm | None = None,
    new_token: str | None = None,
    new_secret: str | None = None,
) -> str:
    clinic_id = current_user.clinic_id
    hook = webhooks.of_clinic(clinic_id)
    return render_template(
        "staff/api.html",
        form=form or ApiTokenForm(formdata=None),
        hook_form=hook_form or WebhookForm(formdata=None, data={"url": hook.url if hook else ""}),
        tokens=api_tokens.clinic_tokens(clinic_id),
        hook=hook,
        new_token=new_token,
        new_secret=new_secret,
    )


@bp.route("/api", methods=["GET", "POST"])
@admin_only
def api_settings() -> str:
    """The clinic's API tokens and webhook; posting the form issues a token, shown once."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        _, token = api_tokens.issue(
            current_user.clinic_id, form.name.data or "", ApiScope(form.scope.data),
            current_user.id,
        )  # fmt: skip
        return _page(new_token=token)
    return _page(form=form)


@bp.post("/api/tokens/<int:token_id>/revoke")
@admin_only
def api_token_revoke(token_id: int) -> BaseResponse:
    """Stop a token working at once."""
    row = api_tokens.token_of(current_user.clinic_id, token_id) or abort(404)
    api_tokens.revoke(row, current_user.id)
    flash(f"The token “{row.name}” no longer works.")
    return redirect(url_for("staff.api_settings"))


@bp.post("/api/webhook")
@admin_only
def api_webhook() -> BaseResponse | str:
    """Set, re-key or remove the webhook called on each submission."""
    clinic_id = current_user.clinic_id
    hook = webhooks.of_clinic(clinic_id)
    action = request.form.get("action", "save")
    if action == "remove" and hook is not None:
        webhooks.remove(hook)
        flash("The webhook is removed; no more calls are made.")
        return redirect(url_for("staff.api_settings"))
    if action == "secret" and hook is not None:
        return _page(new_secret=webhooks.new_secret(hook))
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            _, secret = webhooks.save(clinic_id, (form.url.data or "").strip())
        except webhooks.Refused as exc:
            form.url.errors = [str(exc)]
        else:
            if secret:
                return _page(new_secret=secret)
            flash("The webhook address is saved.")
            return redirect(url_for("staff.api_settings"))
    return _page(hook_form=form)
