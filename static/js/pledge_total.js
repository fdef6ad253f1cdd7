// The pledge form: as the reward and destination change, say what reward + shipping come
// to, and raise the amount to that minimum when it is below it. Progressive enhancement:
// without this script the form works the same, and the server checks everything.
(function () {
  "use strict";
  var form = document.getElementById("pledge-form");
  var out = document.getElementById("pledge-total");
  if (!form || !out) {
    return;
  }
  var amount = form.querySelector("#amount");
  var destination = form.querySelector("#destination");
  var money = new Intl.NumberFormat(document.documentElement.lang || "en", {
    style: "currency", currency: form.dataset.currency
  });
  var digits = money.resolvedOptions().maximumFractionDigits;

  function chosen() {
    return form.querySelector("input[name=tier]:checked");
  }

  function update() {
    var tier = chosen();
    if (!tier) {
      out.textContent = "";
      return;
    }
    var minimum = Number(tier.dataset.minimum || 0);
    var fee = 0;
    var where = "";
    if (tier.dataset.ships === "true") {
      var rates = JSON.parse(tier.dataset.rates || "{}");
      var code = destination ? destination.value : "";
      if (!code) {
        out.textContent = "Choose where to ship it to see the total.";
        return;
      }
      fee = code in rates ? rates[code] : rates.ROW;
      where = destination.options[destination.selectedIndex].text;
      if (fee === undefined) {
        out.textContent = "This reward does not ship to " + where + ".";
        return;
      }
    }
    var total = minimum + fee;
    var unit = Math.pow(10, digits);
    out.textContent = fee
      ? "Reward " + money.format(minimum / unit) + " + shipping to " + where + " " +
        money.format(fee / unit) + " = at least " + money.format(total / unit) + "."
      : "At least " + money.format(total / unit) + ".";
    var typed = Number(String(amount.value).replace(/,/g, ""));
    if (!amount.value || isNaN(typed) || typed * unit < total) {
      amount.value = (total / unit).toFixed(digits);
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "tier" || event.target === destination) {
      update();
    }
  });
  update();
})();
