// The staff brief page's print button: shown only when scripts run, prints the page
// (screen.css hides the staff bar on paper).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
