// The reward form's shipping rows: "Add another destination" adds a row here instead of
// asking the server for one, and each row gets a "Remove" button. Progressive enhancement:
// without this script the add button submits the form (nothing is saved, three empty rows
// come back) and a row is removed by setting its destination to "—".
(function () {
  "use strict";
  var box = document.getElementById("shipping-rows");
  if (!box) {
    return;
  }
  var body = box.querySelector("tbody");
  var add = box.querySelector("[data-add-row]");
  var maxRows = Number(box.dataset.maxRows || 100);
  // Row indexes only ever grow: the server reads whatever indexes arrive, gaps included.
  var next = 0;
  body.querySelectorAll("select, input").forEach(function (el) {
    var match = /^shipping-(\d+)-/.exec(el.name || "");
    if (match) {
      next = Math.max(next, Number(match[1]) + 1);
    }
  });

  function rows() {
    return body.querySelectorAll("tr[data-row]");
  }

  // The labels in the reader's language, from the page ("#" stands for the row's number).
  var words = {
    destination: box.dataset.destinationLabel || "Destination #",
    fee: box.dataset.feeLabel || "Fee #",
    remove: box.dataset.removeLabel || "Remove row #"
  };

  function numbered(text, n) {
    return text.replace("#", String(n));
  }

  function label() {
    rows().forEach(function (row, i) {
      row.querySelector("select").setAttribute("aria-label", numbered(words.destination, i + 1));
      row.querySelector("input").setAttribute("aria-label", numbered(words.fee, i + 1));
      var remove = row.querySelector("[data-remove-row]");
      remove.hidden = false;
      remove.setAttribute("aria-label", numbered(words.remove, i + 1));
    });
    if (add) {
      add.hidden = rows().length >= maxRows;
    }
  }

  function blank(row) {
    var copy = row.cloneNode(true);
    var index = next++;
    copy.querySelectorAll("select, input").forEach(function (el) {
      el.name = el.name.replace(/^shipping-\d+-/, "shipping-" + index + "-");
      el.id = el.name;
      el.removeAttribute("aria-invalid");
      if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
    });
    copy.querySelectorAll(".error").forEach(function (p) { p.remove(); });
    return copy;
  }

  body.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) {
      return;
    }
    var row = button.closest("tr");
    if (rows().length > 1) {
      var neighbour = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      neighbour.querySelector("select").focus();
    } else {
      row.replaceWith(blank(row));
    }
    label();
  });

  if (add) {
    add.type = "button";
    add.addEventListener("click", function () {
      var all = rows();
      var row = blank(all[all.length - 1]);
      body.appendChild(row);
      label();
      row.querySelector("select").focus();
    });
  }
  label();
}());
