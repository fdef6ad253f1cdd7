// The pledge form: as the reward, its add-ons and the destination change, say what reward +
// add-ons + shipping come to, and raise the amount to that minimum when it is below it.
// Progressive enhancement: without this script the form works the same, and the server
// checks everything.
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

  // The fee of one thing (a reward or an add-on, its data-* attributes) to the destination
  // chosen: 0 when it does not ship, null when no destination is chosen, undefined when it
  // does not ship there.
  function feeOf(el) {
    if (el.dataset.ships !== "true") {
      return 0;
    }
    var code = destination ? destination.value : "";
    if (!code) {
      return null;
    }
    var rates = JSON.parse(el.dataset.rates || "{}");
    return code in rates ? rates[code] : rates.ROW;
  }

  // The add-ons taken (a quantity above 0) that come with ``tier``.
  function addOns(tier) {
    var taken = [];
    form.querySelectorAll("input[data-add-on]").forEach(function (input) {
      var quantity = Math.floor(Number(input.value || 0));
      var tiers = input.dataset.tiers || "all";
      if (quantity > 0 && (tiers === "all" || tiers.split(" ").indexOf(tier.value) >= 0)) {
        taken.push({ el: input, quantity: quantity });
      }
    });
    return taken;
  }

  function update() {
    var tier = chosen();
    if (!tier) {
      out.textContent = "";
      return;
    }
    var minimum = Number(tier.dataset.minimum || 0);
    var where = destination && destination.selectedIndex >= 0
      ? destination.options[destination.selectedIndex].text : "";
    var fee = feeOf(tier);
    if (fee === undefined) {
      out.textContent = say("textNoShip", "This reward does not ship to %(where)s.",
                            { where: where });
      return;
    }
    var extras = 0;
    var taken = addOns(tier);
    for (var i = 0; i < taken.length; i++) {
      var unitFee = feeOf(taken[i].el);
      if (unitFee === undefined) {
        out.textContent = say("textAddOnNoShip", "“%(add_on)s” does not ship to %(where)s.",
                              { add_on: taken[i].el.dataset.addOn, where: where });
        return;
      }
      if (unitFee === null || fee === null) {
        fee = null;
        continue;
      }
      extras += Number(taken[i].el.dataset.price || 0) * taken[i].quantity;
      fee += unitFee * taken[i].quantity;
    }
    if (fee === null) {
      out.textContent = say("textChoose", "Choose where to ship it to see the total.");
      return;
    }
    var total = minimum + extras + fee;
    var unit = Math.pow(10, digits);
    var values = { reward: money.format(minimum / unit), add_ons: money.format(extras / unit),
                   where: where, fee: money.format(fee / unit),
                   total: money.format(total / unit) };
    if (extras && fee) {
      out.textContent = say("textAddOnsShipping", "Reward %(reward)s + add-ons %(add_ons)s + " +
                            "shipping to %(where)s %(fee)s = at least %(total)s.", values);
    } else if (extras) {
      out.textContent = say("textAddOns", "Reward %(reward)s + add-ons %(add_ons)s = at " +
                            "least %(total)s.", values);
    } else if (fee) {
      out.textContent = say("textShipping", "Reward %(reward)s + shipping to %(where)s " +
                            "%(fee)s = at least %(total)s.", values);
    } else {
      out.textContent = say("textTotal", "At least %(total)s.", values);
    }
    var typed = Number(String(amount.value).replace(/,/g, ""));
    if (!amount.value || isNaN(typed) || typed * unit < total) {
      amount.value = (total / unit).toFixed(digits);
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "tier" || event.target === destination ||
        "addOn" in event.target.dataset) {
      update();
    }
  });
  update();
})();
