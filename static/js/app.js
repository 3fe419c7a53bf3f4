// Progressive enhancement only: every page works without this file.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
  });
}

// A print button, without inline script (the CSP allows none).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

// One tap sends a form once; the server would refuse a second case anyway.
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("[data-once]");
  if (button) setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
});
