// The reader's time zone, as their browser knows it, for the server to show times in
// (the `tz` cookie; crowdfund/i18n.py). Set once, on the first page: a signed-in person's
// own choice (Account -> Language and time zone) wins over it.
(function () {
  if (document.cookie.split("; ").some(function (c) { return c.indexOf("tz=") === 0; })) {
    return;
  }
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" +
    (location.protocol === "https:" ? "; secure" : "");
})();
