/* Keyboard shortcuts of the review queue and the item page (issue 16). No library, no CDN.
 *   j / k   queue: next / previous row; item page: next / previous item of the queue (links with data-key)
 *   Enter   queue: open the current row            x   queue: check the current row
 *   c / d   focus the reason field of confirm / dismiss (the queue's bulk form, or the item page's forms);
 *           Ctrl+Enter in that field submits it with the chosen verb
 *   ?       show or hide the help; Esc hides it and leaves a field
 * The keys do nothing while the focus is in a field, or with Ctrl, Alt or Meta held. */
(function () {
  "use strict";

  var current = -1;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-table tbody tr[data-href]"));
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return false; }
    if (all[current]) { all[current].classList.remove("current"); }
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all[current].classList.add("current");
    all[current].scrollIntoView({block: "nearest"});
    return true;
  }

  function toggleHelp(show) {
    var help = document.getElementById("shortcuts-help");
    if (help) { help.hidden = show === undefined ? !help.hidden : !show; }
  }

  function countChecked() {
    var out = document.getElementById("selected-count");
    var n = document.querySelectorAll("input.select-item:checked").length;
    if (out) { out.textContent = n ? n + " ✓" : ""; }
  }

  // c / d: an element marked data-key="c" (or "d"): a link is followed, a form's reason field is focused,
  // a submit button is "armed" (chosen for Ctrl+Enter) and its form's reason field focused.
  function act(key) {
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) { return false; }
    if (target.tagName === "A") { window.location.href = target.href; return true; }
    var form = target.tagName === "FORM" ? target : target.form;
    if (target.tagName === "BUTTON") {
      document.querySelectorAll("button.armed").forEach(function (b) { b.classList.remove("armed"); });
      target.classList.add("armed");
    }
    var field = form && form.querySelector("textarea[name=reason], input[name=reason]");
    if (field) { field.focus(); }
    return true;
  }

  function submitFrom(field) {
    var form = field.form;
    if (!form) { return; }
    var button = form.querySelector("button.armed") || form.querySelector("button[type=submit]");
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else if (button) { button.click(); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      toggleHelp(false);
      if (typing(e.target)) { e.target.blur(); }
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && typing(e.target)) {
      e.preventDefault();
      submitFrom(e.target);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    var done = false;
    var all = rows();
    switch (e.key) {
      case "j": done = all.length ? move(1) : act("j"); break;
      case "k": done = all.length ? move(-1) : act("k"); break;
      case "Enter":
        if (all[current]) { window.location.href = all[current].getAttribute("data-href"); done = true; }
        break;
      case "x":
        if (all[current]) {
          var box = all[current].querySelector("input.select-item");
          if (box) { box.checked = !box.checked; countChecked(); done = true; }
        }
        break;
      case "c": case "d": done = act(e.key); break;
      case "?": toggleHelp(); done = true; break;
    }
    if (done) { e.preventDefault(); }
  });

  document.addEventListener("change", function (e) {
    if (e.target.id === "select-all") {
      document.querySelectorAll("input.select-item").forEach(function (box) { box.checked = e.target.checked; });
    }
    if (e.target.id === "select-all" || e.target.classList.contains("select-item")) { countChecked(); }
  });
})();
