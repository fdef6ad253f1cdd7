"""The check of English left on translated pages (tests/i18n_scan.py): it finds what a person
would read in English, and only that."""

from tests.i18n_scan import BASE_ALLOWED, english_left

FOUNDER = "Ada Lovelace"


def page(body: str, title: str = "支持这个项目") -> str:
    """A Chinese page as base.html lays one out, with its footer's language switch."""
    return f"""<!doctype html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><meta name="description" content="Back projects you love">
<title>{title} — crowdfund</title>
<style>.button::after {{ content: "Back"; }}</style>
<script>window.label = "Back this project";</script></head>
<body>
<main>{body}</main>
<footer><nav aria-label="语言"><ul class="footer-links languages">
  <li lang="en"><a href="/language/en?next=/" hreflang="en" rel="nofollow">English</a></li>
  <li lang="zh-Hans"><strong aria-current="true">简体中文</strong></li>
  <li lang="zh-Hant"><a href="/language/zh_Hant?next=/" hreflang="zh-Hant">繁體中文</a></li>
</ul></nav></footer>
</body></html>"""


def test_it_flags_an_english_button_on_a_chinese_page():
    html = page('<h1>深圳智能台灯</h1><a class="button" href="/campaigns/lamp/pledge">'
                "Back this project</a>")
    assert english_left(html, set()) == ["Back this project"]


def test_a_translated_page_has_nothing_left():
    html = page('<h1>深圳智能台灯</h1><a class="button" href="/campaigns/lamp/pledge">'
                "支持这个项目</a><p>还剩5天</p>")
    assert english_left(html, set()) == []


def test_it_ignores_names_addresses_urls_amounts_code_and_the_language_switch():
    html = page(f"""
      <h1>{FOUNDER}的项目</h1>
      <p>发起人：<a href="/founders/3">{FOUNDER}</a>，邮箱 ada.lovelace+lamp@example.com。</p>
      <p>项目网站：https://lamp.example.com/about?ref=crowdfund ，也可访问 www.example.org。</p>
      <p>已筹 US$1,234.50，目标金额 US$5,000.00（CHF 150.00，SGD 20，€12）。</p>
      <pre><code>flask jobs run --queue default</code></pre>
      <form><input type="hidden" name="next" value="Back to the campaign"></form>
      <select><option>Asia/Shanghai</option><option>America/New York</option>
        <option>Etc/GMT-14</option><option>CST6CDT</option><option>Cuba</option></select>""")
    assert english_left(html, {FOUNDER}) == []


def test_the_founders_name_is_english_only_when_the_caller_does_not_allow_it():
    html = page(f"<h1>{FOUNDER}的项目</h1>")
    assert english_left(html, set()) == [FOUNDER]
    assert english_left(html, {FOUNDER}) == []


def test_it_reads_the_attributes_people_read_and_only_those():
    html = page("""
      <img src="/uploads/cover.png" alt="A cover photo">
      <span title="Identity verified">✔</span>
      <nav aria-label="Pages of comments"></nav>
      <input name="q" placeholder="Search campaigns">
      <input type="submit" value="Save changes">
      <table class="stack"><tr><td data-label="Reward">回报</td></tr></table>
      <a href="/discover/technology" class="card-link" data-chart="funding-chart"
         id="funding-chart" rel="nofollow">科技</a>""")
    assert english_left(html, set()) == [
        "A cover photo", "Identity verified", "Pages of comments", "Search campaigns",
        "Save changes", "Reward"]


def test_runs_stop_at_chinese_and_keep_their_words_together():
    html = page("<p>你的Visa卡 ending 4242 will be charged，请确认。</p><p>Tier 1：回报</p>")
    assert english_left(html, set()) == ["ending 4242 will be charged", "Tier 1"]


def test_brands_codes_and_units_are_allowed_and_single_letters_are_not_words():
    assert {"Stripe", "Visa", "Mastercard", "CVC", "SAFE", "USD", "CNY", "English"} \
        <= BASE_ALLOWED
    html = page("<p>通过 Stripe 用 Visa 或 Mastercard 支付（需要 CVC）；SAFE；USD；5 MB；"
                "A 轮；3-D Secure 验证</p>")
    assert english_left(html, set()) == []


def test_each_run_is_listed_once_in_the_pages_order():
    html = page("<p>Pledge</p><p>支持</p><p>Back this project</p><p>Pledge</p>")
    assert english_left(html, set()) == ["Pledge", "Back this project"]


def test_an_allowed_word_is_matched_whole_and_as_written():
    html = page("<p>Safe and sound</p><p>SAFE</p><p>Adam</p>")
    assert english_left(html, {"Ada"}) == ["Safe and sound", "Adam"]


def test_a_run_cut_by_an_opening_bracket_keeps_its_words():
    html = page("<h2>Comments and questions (3)</h2><h2>Updates (12</h2><p>（3）</p>")
    assert english_left(html, set()) == ["Comments and questions", "Updates"]
