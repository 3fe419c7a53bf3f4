// The kiosk's page behaviour: walk-away reset, the on-screen keypad, the scanner on the home
// screen, the ID-card reader, printing and read-aloud. The CSP allows no inline script.
(function () {
  "use strict";
  var body = document.body;

  // A page restored from the back/forward cache is shown again as it was: ask the server instead.
  window.addEventListener("pageshow", function (event) { if (event.persisted) location.reload(); });
  if (/[?&]bye=1/.test(location.search)) history.replaceState(null, "", body.dataset.home);

  function post(url, data) {
    var form = new FormData();
    Object.keys(data).forEach(function (k) { form.append(k, data[k]); });
    var token = document.querySelector("input[name=csrf_token]");
    if (token) form.append("csrf_token", token.value);
    return fetch(url, {method: "POST", body: form, credentials: "same-origin"}).catch(function () {});
  }

  // --- Walk away: a minute without a touch, ten seconds' warning, then everything is cleared.
  var idleSeconds = +body.dataset.idle || 0, countdown = +body.dataset.countdown || 10;
  var dialog = document.getElementById("idle"), leaveForm = document.getElementById("idle-leave");
  var idleTimer = null, tick = null;
  function leave(reason) {
    if (!leaveForm) { location.replace(body.dataset.home); return; }
    leaveForm.querySelector("[name=reason]").value = reason;
    leaveForm.submit();
  }
  var aliveSent = Date.now(), aliveEvery = (+body.dataset.aliveEvery || 30) * 1000;
  function stillHere() {
    if (Date.now() - aliveSent > aliveEvery) {  // someone is here: the server keeps their visit
      aliveSent = Date.now();
      fetch(body.dataset.alive, {credentials: "same-origin", cache: "no-store"}).catch(function () {});
    }
    clearTimeout(idleTimer); clearInterval(tick);
    if (dialog) dialog.hidden = true;
    if (idleSeconds) idleTimer = setTimeout(askStillHere, idleSeconds * 1000);
  }
  function askStillHere() {
    var left = countdown, shown = dialog.querySelector("[data-countdown-left]");
    dialog.hidden = false; shown.textContent = left;
    dialog.querySelector("[data-still-here]").focus();
    tick = setInterval(function () {
      left -= 1; shown.textContent = left;
      if (left <= 0) { clearInterval(tick); leave("idle"); }
    }, 1000);
  }
  if (idleSeconds && dialog) {
    ["pointerdown", "keydown", "input", "wheel"].forEach(function (type) {
      window.addEventListener(type, stillHere, {capture: true, passive: true});
    });
    stillHere();
  }

  // --- On-screen keypad: digits (and X) into the field last touched (the first empty one at
  // first); no system keyboard pops up.
  var typingInto = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-keypad-target]")) typingInto = event.target;
  });
  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-keypad] button");
    if (!key) return;
    var form = key.closest("form"), targets = [].slice.call(form.querySelectorAll("[data-keypad-target]"));
    var room = function (t) { return t.value.length < (+t.dataset.keypadLength || t.maxLength); };
    var digit = !!key.dataset.key;  // not ⌫ or 清空
    var input;
    if (targets.indexOf(typingInto) >= 0 && (!digit || room(typingInto))) input = typingInto;
    else if (digit) input = targets.filter(room)[0] || targets[targets.length - 1];  // full: on to the next
    else input = targets.filter(function (t) { return t.value; }).pop() || targets[0];
    if (key.hasAttribute("data-backspace")) input.value = input.value.slice(0, -1);
    else if (key.hasAttribute("data-clear")) input.value = "";
    else if (input.value.length < input.maxLength) input.value += key.dataset.key;
    input.dispatchEvent(new Event("input", {bubbles: true}));
    typingInto = input;
  });

  // --- The scanner types like a keyboard, then Enter: keep its field focused on the home screen.
  var scanner = document.querySelector("[data-scanner]");
  if (scanner) {
    scanner.focus();
    document.addEventListener("keydown", function (event) {
      if (document.activeElement !== scanner && event.key.length === 1) scanner.focus();
    }, true);
    scanner.addEventListener("blur", function () { setTimeout(function () { scanner.focus(); }, 300); });
  }

  // --- ID-card reader: the vendor's local service on this PC, asked by the page. It is asked only
  // after a tap on 读取身份证 (then every 1.5 s for half a minute): a card left on the reader by
  // the last person is never read for the next one by itself.
  // On the identify page the card is posted to identify the person; on a question asking someone's
  // name and ID number (data-fill) it fills those two fields, to be checked with the others.
  var reader = document.querySelector("[data-card-reader]");
  if (reader) {
    var form = reader.querySelector("[data-card-form]") || reader.closest("form"), status = reader.querySelector("[data-reader-status]");
    var reading = false, reported = false, done = false, polling = null;
    var fill = function (card) {
      done = true; clearInterval(polling);
      if (reader.dataset.fill) {
        var names = reader.dataset.fill.split(" ");
        form.querySelector("[name=" + names[0] + "]").value = card.name || "";
        form.querySelector("[name=" + names[1] + "]").value = card.id_number || "";
        status.textContent = "已读取，请核对后点“下一步”。";
        done = false;  // another card may be read instead
        return;
      }
      Object.keys(card).forEach(function (k) { form.querySelector("[name=" + k + "]").value = card[k] || ""; });
      status.textContent = "已读取，正在核验…";
      form.submit();
    };
    var huashi = function (data) {  // Huashi-style JSON: resultFlag 0 means a card was read
      if (!data || +data.resultFlag !== 0) return null;
      return {name: data.partyName, id_number: data.certNumber, born: data.bornDay, sex: data.gender,
              valid_until: data.expDate};
    };
    var read = function () {
      if (reading || done) return;
      reading = true;
      fetch(reader.dataset.readerUrl, {cache: "no-store"}).then(function (r) { return r.json(); })
        .then(function (data) {
          reading = false;
          if (!reported) { post(body.dataset.health, {device: "reader", ok: "1"}); reported = true; }
          var card = huashi(data);
          if (card) fill(card);
          else status.textContent = "没有读到身份证，请把身份证平放在读卡区，不要移动";
        })
        .catch(function () {
          reading = false;
          status.textContent = "读卡器没有响应，请请工作人员检查，或点下面“输入身份证号”";
          if (!reported) { post(body.dataset.health, {device: "reader", ok: "0", message: "读卡服务无响应"}); reported = true; }
        });
    };
    reader.querySelector("[data-read-card]").addEventListener("click", function () {
      if (reader.dataset.vendor === "simulated") { fill(JSON.parse(reader.dataset.demoCard)); return; }
      status.textContent = "正在读卡，请把身份证放在读卡区…";
      clearInterval(polling);
      var tries = 0;
      read();
      polling = setInterval(function () { if (++tries > 20) clearInterval(polling); else read(); }, 1500);
    });
  }

  // --- Document camera (高拍仪; most are ordinary USB cameras): preview, shoot, retake, and the
  // part inside the guide frame posted through the material's upload form.
  document.querySelectorAll("[data-capture]").forEach(function (box) {
    var panel = box.querySelector("[data-camera]"), video = box.querySelector("video");
    var shot = box.querySelector(".kiosk-shot"), status = box.querySelector("[data-camera-status]");
    var shoot = box.querySelector("[data-shoot]"), retake = box.querySelector("[data-retake]"), use = box.querySelector("[data-use]");
    var stream = null, blob = null;  // blob: a promise of the JPEG just taken
    var stop = function () { if (stream) stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; };
    var live = function (on) {
      video.hidden = !on; shot.hidden = on; shoot.hidden = !on; retake.hidden = on; use.hidden = on;
    };
    var broken = function (why) {
      status.textContent = "高拍仪打不开，请请工作人员检查，或用手机扫码上传";
      post(body.dataset.health, {device: "camera", ok: "0", message: why});
    };
    var start = function () {
      live(true);
      if (!navigator.mediaDevices) { broken("浏览器不允许用摄像头（须 https）"); return; }
      navigator.mediaDevices.getUserMedia({video: {width: {ideal: 2592}, height: {ideal: 1944}}, audio: false})
        .then(function (s) {
          stream = s; video.srcObject = s; video.play();
          post(body.dataset.health, {device: "camera", ok: "1"});
        })
        .catch(function (err) { broken(String(err && err.name || "打不开")); });
    };
    box.querySelector("[data-camera-open]").addEventListener("click", function () { panel.hidden = false; start(); });
    box.querySelector("[data-camera-close]").addEventListener("click", function () { stop(); panel.hidden = true; });
    shoot.addEventListener("click", function () {
      if (!video.videoWidth) return;
      // The guide frame covers the middle 90% x 90% of the picture: keep only that.
      var w = video.videoWidth, h = video.videoHeight, cw = Math.round(w * 0.9), ch = Math.round(h * 0.9);
      // At most 2000 px on the long side: an A4 page at 170 dpi, clear to read, and a small PC
      // encodes and sends it in a fraction of the time of the camera's full 5 MP.
      var scale = Math.min(1, 2000 / Math.max(cw, ch));
      shot.width = Math.round(cw * scale); shot.height = Math.round(ch * scale);  // shown, then encoded
      shot.getContext("2d").drawImage(video, (w - cw) / 2, (h - ch) / 2, cw, ch, 0, 0, shot.width, shot.height);
      use.disabled = true;  // until the JPEG is ready
      blob = new Promise(function (done) { shot.toBlob(done, "image/jpeg", 0.85); });  // as the server stores
      blob.then(function () { use.disabled = false; });
      stop();  // a live picture nobody looks at only slows a small PC down
      live(false);
      status.textContent = "看清楚了吗？看得清就点“用这张”，不清楚点“重拍”。";
    });
    retake.addEventListener("click", function () { blob = null; start(); });
    use.addEventListener("click", function () {
      if (!blob) return;
      use.disabled = true; status.textContent = "正在上传…";
      blob.then(function (jpeg) {
        var form = box.querySelector("[data-capture-form]"), files = new DataTransfer();
        files.items.add(new File([jpeg], "高拍仪拍照.jpg", {type: "image/jpeg"}));
        form.querySelector("input[type=file]").files = files.files;
        form.submit();
      });
    });
  });

  // --- Print the receipt, then leave at once: nothing of the person's stays on the screen.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();  // a query's result, a booking slip
    if (!event.target.closest("[data-print-leave]")) return;
    window.print();
    leave("printed");
  });

  // --- Waiting for something to happen elsewhere (a payment's callback, photos from a phone):
  // ask every 2 s; when the page's state changes, show the new page.
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    var timer = setInterval(function () {
      fetch(el.dataset.poll, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var now = new DOMParser().parseFromString(html, "text/html").querySelector("[data-poll-state]");
          if (!now || now.dataset.pollState !== el.dataset.pollState) {  // paid: the waiting part is gone
            clearInterval(timer);
            location.replace(el.dataset.pollNext || el.dataset.poll);
          }
        }).catch(function () {});
    }, 2000);
  });

  // --- One tap sends a form once.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-once]");
    if (button) setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
  });

  // --- 朗读: the browser's Mandarin voice where there is one, else audio made by the server.
  var audio = null;
  function speakable() {
    var parts = [];
    document.querySelectorAll("main [data-speak-text], main h1, main .error, main .hint").forEach(function (el) {
      var t = el.textContent.replace(/\s+/g, " ").trim();
      if (t && parts.indexOf(t) < 0) parts.push(t);
    });
    return parts.join("。").slice(0, 300);
  }
  function zhVoice() {
    if (!("speechSynthesis" in window)) return null;
    return speechSynthesis.getVoices().filter(function (v) { return /^(zh|cmn)/i.test(v.lang); })[0] || null;
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-speak]")) return;
    var text = speakable(), voice = zhVoice();
    if (!text) return;
    if (voice) {
      speechSynthesis.cancel();
      var u = new SpeechSynthesisUtterance(text);
      u.voice = voice; u.lang = voice.lang; u.rate = 0.9;
      speechSynthesis.speak(u);
      return;
    }
    if (audio) audio.pause();
    audio = new Audio(body.dataset.speech + "?text=" + encodeURIComponent(text));
    audio.setAttribute("data-speaking", "");
    audio.play().catch(function () {});
    window.__kioskAudio = audio;  // lets the browser tests check what was played
  });
})();
