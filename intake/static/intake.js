/* The client's pages, a little better with a script; every page works without it.
 *
 * - Focus starts at the page heading (or the summary of what needs attention), so a screen
 *   reader continues from the top of the new page after Next or Back.
 * - Links in an error summary move focus to the question they name.
 * - Answers are saved a moment after each change and every few seconds while typing, with
 *   a visible "saved" line; questions that depend on an answer on the same page appear and
 *   disappear in place. The server decides what is shown (the same rules as on Next).
 * - The "just saved" flag a save leads on with (?saved=1) leaves the address once shown.
 */
(function () {
  "use strict";

  var SAVE_EVERY_MS = 5000;   // while typing, at most this long between saves
  var TYPING_PAUSE_MS = 1500; // a pause in typing saves sooner
  var CHOICE_MS = 150;        // a tick or a choice saves almost at once

  function focusStart() {
    if (window.location.hash) {
      return;
    }
    var target = document.querySelector("[data-focus-first]") ||
      document.querySelector("main h1[tabindex='-1']");
    if (target) {
      target.focus();
    }
  }

  function questionLinks() {
    var links = document.querySelectorAll(".error-summary a[href^='#'], .added-summary a[href^='#']");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        var input = document.getElementById(link.getAttribute("href").slice(1));
        if (!input) {
          return;
        }
        event.preventDefault();
        var question = input.closest(".question") || input;
        question.scrollIntoView({ block: "start" });
        input.focus({ preventScroll: true });
      });
    });
  }

  function autosave(form) {
    var url = form.getAttribute("data-autosave");
    var status = document.getElementById("save-status");
    var news = document.createElement("p");
    var time = document.createElement("span");
    var csrf = form.querySelector("input[name='csrf_token']");
    var shown = form.querySelector("input[name='shown']");
    var dirty = false;
    var pending = null;
    var submitting = false;
    var timer = null;
    var lastSave = 0;

    news.className = "visually-hidden";
    news.setAttribute("role", "status");
    form.appendChild(news);
    time.className = "save-time";
    time.setAttribute("aria-hidden", "true");
    if (status) {
      status.insertAdjacentElement("afterend", time);
    }

    function say(message, problem) {
      // Only a change of wording is announced; the time beside it is for the eyes.
      if (status && status.textContent !== message) {
        status.textContent = message;
      }
      if (status) {
        status.classList.toggle("unsaved", Boolean(problem));
      }
    }

    function payload() {
      var data = new FormData(form);
      data.delete("action");
      return data;
    }

    function showQuestions(visible) {
      var appeared = false;
      var ids = [];
      Array.prototype.forEach.call(form.querySelectorAll(".question[data-item]"), function (q) {
        var show = visible.indexOf(q.getAttribute("data-item")) !== -1;
        if (show && q.hidden) {
          appeared = true;
          q.classList.add("added");
        }
        q.hidden = !show;
        if (show) {
          ids.push(q.getAttribute("data-item"));
        }
      });
      if (shown) {
        shown.value = ids.join(" ");
      }
      if (appeared) {
        news.textContent = form.getAttribute("data-msg-added");
      }
    }

    function unsaved(errors) {
      // Each answer the server refused, as "question — what to change", in page order.
      var found = [];
      Array.prototype.forEach.call(form.querySelectorAll(".question[data-item]"), function (q) {
        var id = q.getAttribute("data-item");
        if (Object.prototype.hasOwnProperty.call(errors, id)) {
          found.push(q.getAttribute("data-prompt") + " \u2014 " + errors[id]);
        }
      });
      return found;
    }

    function save() {
      clearTimeout(timer);
      if (submitting || !dirty) {
        return pending || Promise.resolve();
      }
      if (pending) {
        return pending.then(save);
      }
      dirty = false;
      lastSave = Date.now();
      pending = fetch(url, {
        method: "POST",
        body: payload(),
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.value : "", "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("not saved: " + response.status);
        }
        return response.json();
      }).then(function (result) {
        if (submitting) {
          return;
        }
        showQuestions(result.visible || []);
        var problems = unsaved(result.errors || {});
        if (problems.length) {
          // What failed a check was not kept: say which answer, and why, instead of "saved".
          time.textContent = "";
          var check = problems.length === 1 ? "data-msg-check-one" : "data-msg-check-many";
          say(form.getAttribute(check) + " " + problems.join(" "), true);
          return;
        }
        // A safety answer is saved by Next (which shows the crisis page), never in the background.
        var held = (result.held || []).length > 0;
        say(form.getAttribute(held ? "data-msg-held" : "data-msg-saved"));
        var now = new Date();
        var stamp = now.toLocaleTimeString(document.documentElement.lang || undefined,
          { hour: "2-digit", minute: "2-digit" });
        time.textContent = " (" + stamp + ")";
      }).catch(function () {
        dirty = true;
        time.textContent = "";
        say(form.getAttribute("data-msg-failed"), true);
      }).then(function () {
        pending = null;
      });
      return pending;
    }

    function later(ms) {
      clearTimeout(timer);
      // Keep typing from postponing a save for ever.
      var wait = Math.min(ms, Math.max(0, SAVE_EVERY_MS - (Date.now() - lastSave)));
      timer = setTimeout(save, wait);
    }

    form.addEventListener("input", function (event) {
      dirty = true;
      var type = event.target.type;
      later(type === "radio" || type === "checkbox" ? CHOICE_MS : TYPING_PAUSE_MS);
    });
    form.addEventListener("change", function () {
      dirty = true;
      later(CHOICE_MS);
    });
    form.addEventListener("submit", function (event) {
      // The page's own post saves everything; an autosave still on its way must land
      // first, so it can never arrive after the post and overwrite newer answers.
      submitting = true;
      clearTimeout(timer);
      if (!pending) {
        return;
      }
      event.preventDefault();
      var button = event.submitter;
      var wait = pending;
      pending = null;
      wait.then(function () {
        if (button && button.name) {
          // form.submit() leaves out the pressed button: carry its action along.
          var action = document.createElement("input");
          action.type = "hidden";
          action.name = button.name;
          action.value = button.value;
          form.appendChild(action);
        }
        form.submit();
      });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && dirty && !submitting && navigator.sendBeacon) {
        // The form's CSRF token travels in the body, which Flask-WTF also accepts.
        if (navigator.sendBeacon(url, payload())) {
          dirty = false;
        }
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-language-link]"), function (link) {
      link.addEventListener("click", function (event) {
        if (!dirty) {
          return;
        }
        event.preventDefault();
        save().then(function () {
          window.location.href = link.href;
        });
      });
    });
  }

  function forgetSaved() {
    // "?saved=1" says "just saved" to this one page view: a reload, a bookmark or a link
    // copied from the address bar must not say it again.
    if (!window.history.replaceState || !window.URLSearchParams) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    if (params.get("saved") !== "1") {
      return;
    }
    params.delete("saved");
    var query = params.toString();
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  document.addEventListener("DOMContentLoaded", function () {
    forgetSaved();
    focusStart();
    questionLinks();
    var form = document.querySelector("form[data-autosave]");
    if (form && window.fetch && window.FormData && window.Promise) {
      autosave(form);
    }
  });
}());
