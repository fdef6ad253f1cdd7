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

  // A text in the page's language (the form's data-text-* attributes, English without
  // them), its %(name)s placeholders filled in with ``values``.
  function say(name, english, values) {
    var text = form.dataset[name] || english;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(values[key]);
    });
    return text;
  }

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
        out.textContent = say("textChoose", "Choose where to ship it to see the total.");
        return;
      }
      fee = code in rates ? rates[code] : rates.ROW;
      where = destination.options[destination.selectedIndex].text;
      if (fee === undefined) {
        out.textContent = say("textNoShip", "This reward does not ship to %(where)s.",
                              { where: where });
        return;
      }
    }
    var total = minimum + fee;
    var unit = Math.pow(10, digits);
    out.textContent = fee
      ? say("textShipping", "Reward %(reward)s + shipping to %(where)s %(fee)s = at least " +
            "%(total)s.", { reward: money.format(minimum / unit), where: where,
                            fee: money.format(fee / unit), total: money.format(total / unit) })
      : say("textTotal", "At least %(total)s.", { total: money.format(total / unit) });
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
