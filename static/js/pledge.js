// The card page: Stripe's Card Element, then confirmCardSetup (3-D Secure runs here, while
// the backer is present). On success the form posts to our server, which reads the
// SetupIntent from Stripe itself before activating the pledge.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") {
    if (form) {
      document.getElementById("card-errors").textContent =
        "The payment form could not load. Check your connection and reload the page.";
    }
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("card-submit");
  var errors = document.getElementById("card-errors");

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    var result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
      payment_method: { card: card, billing_details: { name: form.dataset.name } },
    });
    if (result.error) {
      errors.textContent = result.error.message || "Your card could not be saved.";
      button.disabled = false;
      return;
    }
    form.submit();
  });
})();
