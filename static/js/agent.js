// The signature pad on a paper consent: a finger or a mouse draws on the canvas; saving turns
// the drawing into a PNG file in the form's file input and posts the form as an upload would.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("form[data-signature]").forEach(function (form) {
    var canvas = form.querySelector("canvas");
    var input = form.querySelector("input[type=file]");
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    function blank() { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height); drawn = false; }
    blank();
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; canvas.setPointerCapture(event.pointerId);
      var p = at(event); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = at(event); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    form.querySelector("[data-clear]").addEventListener("click", blank);
    form.addEventListener("submit", function (event) {
      if (input.files.length) return;  // the drawing is in: post it
      event.preventDefault();
      if (!drawn) { form.querySelector("[data-empty]").hidden = false; return; }
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], "signature.png", { type: "image/png" }));
        input.files = files.files;
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }, "image/png");
    });
  });
})();
