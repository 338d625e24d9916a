// Without the bundled editor (intake/static/vendor/editor.js not built), a problem's line
// link still goes to its line in the plain text box.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-line]");
  const box = document.querySelector("textarea[data-editor]");
  if (!link || !box || box.hidden) return;
  event.preventDefault();
  const lines = box.value.split("\n");
  const number = Math.min(Math.max(1, Number(link.dataset.line)), lines.length);
  const start = lines.slice(0, number - 1).reduce((n, text) => n + text.length + 1, 0);
  box.focus();
  box.setSelectionRange(start, start + lines[number - 1].length);
  const height = parseFloat(getComputedStyle(box).lineHeight) || 20;
  box.scrollTop = Math.max(0, (number - 5) * height);
});
