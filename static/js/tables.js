// Tables on phones (static/css/app.css).
// - A table that is read scrolls inside its own box (<div class="scroll">). When it is wider
//   than its box, a line under it says so and the box takes keyboard focus (arrow keys
//   scroll it); otherwise neither. Without this script the shadow at the box's edge still
//   shows that there is more.
// - A table of rows a person acts on (table.stack) shows each row as a card, each cell led
//   by its column's name from data-label. A table whose template gives none gets them here
//   from its header (the first column is the card's title and has none).
(function () {
  "use strict";
  // The hint in the page's language (templates/base.html gives it).
  var script = document.currentScript;
  var scrollText = (script && script.dataset.textScroll) || "Scroll sideways to see every column.";
  document.querySelectorAll("table.stack").forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    if (table.querySelector("[data-label]")) {
      return;
    }
    table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var head = heads[column];
        if (column > 0 && cell.colSpan === 1 && head && !head.querySelector(".visually-hidden")) {
          cell.setAttribute("data-label", head.textContent.trim());
        }
        column += cell.colSpan;
      });
    });
  });

  var boxes = document.querySelectorAll(".scroll");
  if (!boxes.length) {
    return;
  }

  function hintOf(box) {
    var hint = box.nextElementSibling;
    if (!hint || !hint.classList.contains("scroll-hint")) {
      hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.textContent = scrollText;
      box.parentNode.insertBefore(hint, box.nextSibling);
    }
    return hint;
  }

  function update() {
    boxes.forEach(function (box) {
      var more = box.scrollWidth > box.clientWidth + 1;
      hintOf(box).hidden = !more;
      if (more) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }

  update();
  window.addEventListener("resize", update);
  // A table in a closed <details> has no width until it is opened.
  document.addEventListener("toggle", update, true);
})();
