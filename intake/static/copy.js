// Progressive enhancement: the link field works without this; with it, one click copies.
(function () {
  var button = document.getElementById("copy");
  var field = document.getElementById("link");
  var note = document.getElementById("copied");
  if (!button || !field || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      note.textContent = "Copied.";
    }, function () {
      field.select();
      note.textContent = "Press Ctrl+C (or Cmd+C) to copy.";
    });
  });
})();
