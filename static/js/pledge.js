// Card pages. The card form: Stripe's Card Element, then confirmCardSetup (3-D Secure runs
// here, while the backer is present); on success the form posts to our server, which reads
// the SetupIntent from Stripe itself. The authentication form (fix page): confirmCardPayment
// on the PaymentIntent that needs 3-D Secure, then our server reads the PaymentIntent.
(function () {
  "use strict";
  var cardForm = document.getElementById("card-form");
  var authForm = document.getElementById("auth-form");
  // A saved card confirmed on the server whose bank asks for 3-D Secure again.
  var setupAuthForm = document.getElementById("setup-auth-form");
  if (!cardForm && !authForm && !setupAuthForm) {
    return;
  }
  if (typeof window.Stripe !== "function") {
    ["card-errors", "auth-errors", "setup-auth-errors"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) {
        el.textContent = (cardForm || authForm || setupAuthForm).dataset.textUnavailable ||
          "The payment form could not load. Check your connection and reload the page.";
      }
    });
    return;
  }
  // Stripe's card form and its messages in the page's language, not the browser's.
  var lang = document.documentElement.lang;
  var locale = /^zh-Hant/.test(lang) ? "zh-TW" : /^zh/.test(lang) ? "zh" : "en";
  var stripe = window.Stripe((cardForm || authForm || setupAuthForm).dataset.publishableKey,
                             { locale: locale });

  if (setupAuthForm) {
    var setupAuthButton = document.getElementById("setup-auth-submit");
    var setupAuthErrors = document.getElementById("setup-auth-errors");
    setupAuthForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      setupAuthButton.disabled = true;
      setupAuthErrors.textContent = "";
      var secret = setupAuthForm.dataset.clientSecret;
      // Stripe.js runs the SetupIntent's next action (the challenge); then the server reads
      // the SetupIntent itself, whatever the browser heard.
      var result = typeof stripe.handleNextAction === "function"
        ? await stripe.handleNextAction({ clientSecret: secret })
        : await stripe.confirmCardSetup(secret);
      if (result.error) {
        setupAuthErrors.textContent = result.error.message || setupAuthForm.dataset.textFailed;
        setupAuthButton.disabled = false;
        return;
      }
      setupAuthForm.submit();
    });
  }

  if (cardForm) {
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var button = document.getElementById("card-submit");
    var errors = document.getElementById("card-errors");
    cardForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      var result = await stripe.confirmCardSetup(cardForm.dataset.clientSecret, {
        payment_method: { card: card, billing_details: { name: cardForm.dataset.name } },
      });
      if (result.error) {
        errors.textContent = result.error.message || cardForm.dataset.textNotSaved ||
          "Your card could not be saved.";
        button.disabled = false;
        return;
      }
      cardForm.submit();
    });
  }

  if (authForm) {
    var authButton = document.getElementById("auth-submit");
    var authErrors = document.getElementById("auth-errors");
    authForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      authButton.disabled = true;
      authErrors.textContent = "";
      // Whatever the browser hears, the server reads the PaymentIntent itself.
      await stripe.confirmCardPayment(authForm.dataset.clientSecret);
      authForm.submit();
    });
  }
})();
