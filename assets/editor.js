// The questionnaire editor: CodeMirror 6 (line numbers, YAML colours, search) in place of the
// plain text box, and problem links that go to their line. Bundled by `make assets` into
// intake/static/vendor/editor.js. Without it (or without JavaScript) the text box stays, sized
// to the text; the form always sends the text box, which this keeps in step.
import { EditorView, basicSetup } from "codemirror";
import { yaml } from "@codemirror/lang-yaml";

function start() {
  const box = document.querySelector("textarea[data-editor]");
  if (!box) return;
  // The page's Content-Security-Policy allows inline styles only with its nonce; CodeMirror
  // mounts its stylesheet with it (EditorView.cspNonce).
  const nonce = box.dataset.cspNonce;
  const view = new EditorView({
    doc: box.value,
    extensions: [
      nonce ? EditorView.cspNonce.of(nonce) : [],
      basicSetup,
      yaml(),
      EditorView.lineWrapping,
      // A fixed height that fits the screen, scrolling inside (CodeMirror's documented way).
      EditorView.theme({ "&": { height: "var(--editor-height, 38rem)" }, ".cm-scroller": { overflow: "auto" } }),
      // tabindex: the text is in the tab order (as contenteditable is), said so for every tool.
      EditorView.contentAttributes.of({ "aria-label": box.dataset.editorLabel || "YAML", tabindex: "0" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) box.value = update.state.doc.toString();
      }),
    ],
  });
  box.hidden = true;
  box.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("code-editor");
  box.form.addEventListener("submit", () => { box.value = view.state.doc.toString(); });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link) return;
    event.preventDefault();
    const number = Math.min(Math.max(1, Number(link.dataset.line)), view.state.doc.lines);
    const line = view.state.doc.line(number);
    view.dispatch({
      selection: { anchor: line.from, head: line.to },
      effects: EditorView.scrollIntoView(line.from, { y: "center" }),
    });
    view.focus();
  });
  window.intakeEditor = view; // for the browser tests
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
