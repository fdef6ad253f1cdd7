// "Copy link" on the campaign page (templates/campaigns/_share.html). Without this script
// the button stays hidden and the read-only field holds the link to select and copy.
(function () {
  "use strict";
  var button = document.getElementById("share-copy");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.dataset.copy);
  var status = document.getElementById("share-status");
  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }
  function fallback() {
    field.focus();
    field.select();
    try {
      say(document.execCommand("copy") ? button.dataset.textCopied : button.dataset.textFailed);
    } catch (e) {
      say(button.dataset.textFailed);
    }
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        say(button.dataset.textCopied);
      }, fallback);
    } else {
      fallback();
    }
  });
  field.addEventListener("focus", function () {
    field.select();
  });
})();
