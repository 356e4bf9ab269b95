"""The website widget in a real headless browser (Debian's chromium, driven by Playwright),
against the real Rasa and action servers.

`make browser` installs chromium (a missing chromium fails the tests with that hint; they
are skipped only where the playwright package is not installed). Playwright's own browser
downloads are never used. Screenshots of the assessment card go to results/widget/ for a
person to look at.
"""

import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "results" / "widget"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPLY_TIMEOUT_MS = 180_000  # two busy cores: a reply can take a while
EMBED_PAGE_PATH = "/webhooks/widget/embed-test"  # answered by the test, not the server
EMBED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A clinic's site</title></head>
<body><h1>A clinic's own page, without any content security policy</h1>
<script src="{url}/webhooks/widget/widget.js" defer></script></body></html>"""

# Reads inside the widget's (open) shadow root.
IN_WIDGET = "document.getElementById('twitch-triage-widget').shadowRoot"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator["playwright_api.Browser"]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data dir).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, rasa_server):
    """A page in a fresh browser context (own storage), with the widget's server at hand."""
    contexts = []

    def make(width: int = 1280, height: int = 800, path: str = "/webhooks/widget/"):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(REPLY_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        if path == EMBED_PAGE_PATH:
            page.route(
                f"{rasa_server.url}{EMBED_PAGE_PATH}",
                lambda route: route.fulfill(
                    status=200, content_type="text/html", body=EMBED_PAGE.format(url=rasa_server.url)
                ),
            )
        page.goto(rasa_server.url + path)
        page.locator(".tt-launcher").wait_for(state="visible")
        return page

    yield make
    for context in contexts:
        context.close()


# ---- helpers ----------------------------------------------------------------------------


def items(page) -> int:
    return page.evaluate(f"{IN_WIDGET}.querySelector('.tt-log').children.length")


def wait_for_reply(page, count_before: int) -> None:
    """Waits until the widget has its answer: not busy, and something new in the log."""
    page.wait_for_function(
        f"""() => {{
            const root = {IN_WIDGET};
            return root.querySelector('.tt-panel').getAttribute('aria-busy') === 'false'
                && root.querySelector('.tt-log').children.length > {count_before};
        }}""",
        timeout=REPLY_TIMEOUT_MS,
    )
    assert not page.locator(".tt-note").count(), page.locator(".tt-note").first.text_content()


def open_widget(page) -> None:
    page.locator(".tt-launcher").click()
    wait_for_reply(page, 0)  # the greeting


def type_message(page, text: str) -> None:
    before = items(page)
    page.locator(".tt-input").fill(text)
    page.locator(".tt-input").press("Enter")
    wait_for_reply(page, before)


def click_reply(page, title: str) -> None:
    before = items(page)
    page.locator(".tt-reply", has_text=title).first.click()
    wait_for_reply(page, before)


def user_texts(page):
    return page.locator(".tt-user").all_text_contents()


def last_bot_text(page) -> str:
    return page.locator(".tt-bot").last.text_content()


def answer_until_card(page, max_turns: int = 25) -> None:
    """Answers every follow-up question, alternating buttons and typing, until the card."""
    for turn in range(max_turns):
        if page.locator(".tt-card").count():
            return
        buttons = page.locator(".tt-reply")
        titles = buttons.all_text_contents()
        if "None of these" in titles:  # a grouped question: by button, or in words
            type_message(page, "none of those") if turn % 2 else click_reply(page, "None of these")
        elif "No" in titles and turn % 2:
            type_message(page, "no")
        elif "No" in titles:
            click_reply(page, "No")
        elif titles:
            click_reply(page, titles[min(1, len(titles) - 1)])
        else:
            type_message(page, "no")
    raise AssertionError(f"no card after {max_turns} answers; last question: {last_bot_text(page)}")


def has_horizontal_scroll(page) -> bool:
    return page.evaluate(
        f"""() => {{
            const page = document.documentElement, root = {IN_WIDGET};
            const boxes = [root.querySelector('.tt-scroller'), root.querySelector('.tt-panel')];
            return page.scrollWidth > page.clientWidth
                || boxes.some(box => box.scrollWidth > box.clientWidth + 1)
                || [...root.querySelectorAll('.tt-panel *')].some(node => {{
                    const r = node.getBoundingClientRect();
                    return r.width && (r.right > window.innerWidth + 1 || r.left < -1);
                }});
        }}"""
    )


def show_card_top(page) -> None:
    page.evaluate(
        f"""() => {{
            const root = {IN_WIDGET}, card = [...root.querySelectorAll('.tt-card')].pop();
            root.querySelector('.tt-scroller').scrollTop = card.offsetTop - 8;
        }}"""
    )


def active_element(page) -> str:
    """Class of the focused element inside the widget ('' when the focus is elsewhere)."""
    return page.evaluate(f"() => {{ const a = {IN_WIDGET}.activeElement; return a ? a.className : ''; }}")


# ---- tests ------------------------------------------------------------------------------


def test_widget_files_are_served(rasa_server):
    import requests

    page = requests.get(f"{rasa_server.url}/webhooks/widget/", timeout=30)
    assert page.ok and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = requests.get(f"{rasa_server.url}/webhooks/widget/widget.js", timeout=30)
    assert script.ok and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text  # every text goes in with textContent
    styles = requests.get(f"{rasa_server.url}/webhooks/widget/widget.css", timeout=30)
    assert styles.ok and "text/css" in styles.headers["content-type"]
    again = requests.get(
        f"{rasa_server.url}/webhooks/widget/widget.js", timeout=30, headers={"If-None-Match": script.headers["etag"]}
    )
    assert again.status_code == 304
    redirect = requests.get(f"{rasa_server.url}/webhooks/widget", timeout=30, allow_redirects=False)
    assert redirect.status_code in (301, 302, 307, 308)


def test_a_conversation_reaches_the_card_and_survives_a_reload(new_page):
    page = new_page(1280, 800)
    assert page.locator(".tt-panel").is_hidden()
    open_widget(page)
    assert "muscles" in last_bot_text(page)
    assert page.locator(".tt-notice").is_visible()
    assert "Not a diagnosis" in page.locator(".tt-notice").text_content()

    type_message(page, "my calves keep jumping at night, I've been living on energy drinks and barely sleeping")
    assert page.locator(".tt-reply").count(), "the first follow-up question has buttons"
    # A button: its title shows as the person's words, its payload goes to the bot.
    click_reply(page, "No")
    assert user_texts(page)[-1] == "No"
    # Then a grouped question (contract section 4): its items and "None of these" as quick replies.
    titles = page.locator(".tt-reply").all_text_contents()
    assert "None of these" in titles and "Weakness" in titles, titles
    assert "any of these" in last_bot_text(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "grouped-question-1280x800.png"))
    # Typing works as well as the buttons.
    type_message(page, "nope, my legs feel strong and nothing else")
    assert user_texts(page)[-1] == "nope, my legs feel strong and nothing else"
    answer_until_card(page)

    card = page.locator(".tt-card")
    assert card.count() == 1
    level = card.get_attribute("class")
    assert any(f"tt-level-{name}" in level for name in ("self_care", "soon"))
    assert card.locator(".tt-card-title").text_content()
    assert card.locator(".tt-card-when").text_content().startswith("When: ")
    assert card.locator(".tt-cause").count() >= 1
    sections = card.locator(".tt-section-title").all_text_contents()
    assert "What this fits best" in sections and "Why I say this" in sections
    assert "When to get help" in sections
    assert card.locator(".tt-net").count() >= 1
    assert "not a diagnosis" in card.locator(".tt-disclaimer").text_content().lower()
    # The bot sent the card's content as text too: only the card is shown for that reply.
    disclaimer = card.locator(".tt-disclaimer").text_content()
    bot_texts = " ".join(page.locator(".tt-bot").all_text_contents())
    assert disclaimer not in bot_texts and "Why I say this" not in bot_texts
    assert not page.errors

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    show_card_top(page)
    page.screenshot(path=str(SCREENSHOTS / "card-1280x800.png"))
    page.set_viewport_size({"width": 360, "height": 740})
    show_card_top(page)
    assert not has_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "card-360x740.png"))
    # The whole card at phone width: a very tall phone shows it without scrolling.
    page.set_viewport_size({"width": 360, "height": 4000})
    card.screenshot(path=str(SCREENSHOTS / "card-full-360.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    # A reload shows the same conversation (same sender, transcript kept in the browser).
    said = user_texts(page)
    sender = page.evaluate("JSON.parse(localStorage.getItem('twitchTriage.widget.v1')).sender")
    page.reload()
    page.locator(".tt-launcher").wait_for(state="visible")
    assert page.locator(".tt-panel").is_visible(), "the panel stays open across a reload"
    assert user_texts(page) == said
    assert page.locator(".tt-card").count() == 1
    assert page.evaluate("JSON.parse(localStorage.getItem('twitchTriage.widget.v1')).sender") == sender

    # The conversation goes on after the reload: the server knows this person.
    type_message(page, "thanks! oh and today I choked on water twice")
    assert page.locator(".tt-card").count() == 2
    assert "tt-level-urgent" in page.locator(".tt-card").last.get_attribute("class")

    # Start over: the view is cleared and the bot starts again.
    before = 0
    page.locator(".tt-restart").click()
    wait_for_reply(page, before)
    assert not page.locator(".tt-card").count() and not page.locator(".tt-user").count()
    assert "start again" in last_bot_text(page).lower()
    page.reload()
    page.locator(".tt-launcher").wait_for(state="visible")
    assert not page.locator(".tt-card").count()
    assert not page.errors


def test_a_red_flag_gives_the_emergency_card_on_a_phone(new_page):
    page = new_page(360, 740)
    open_widget(page)
    assert page.locator(".tt-panel").bounding_box()["width"] <= 360
    type_message(page, "I fainted this morning")
    card = page.locator(".tt-card")
    assert card.count() == 1
    level = card.get_attribute("class")
    assert "tt-level-emergency" in level or "tt-level-urgent" in level
    assert "emergency" in card.text_content().lower()
    assert "not a diagnosis" in card.locator(".tt-disclaimer").text_content().lower()
    show_card_top(page)
    assert not has_horizontal_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "emergency-card-360x740.png"))
    assert not page.errors


def test_html_in_a_message_is_shown_as_text_on_a_page_without_csp(new_page):
    page = new_page(1280, 800, path=EMBED_PAGE_PATH)  # the one-line embed on another page
    open_widget(page)
    attack = "<img src=x onerror=window.__xss=1>"
    type_message(page, attack)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert user_texts(page)[-1] == attack  # visible literally
    assert page.locator(".tt-user", has_text=attack).is_visible()
    assert page.evaluate(f"{IN_WIDGET}.querySelectorAll('.tt-log img, .tt-log script').length") == 0
    script_attack = "<script>window.__xss=2</script><b>bold?</b>"
    type_message(page, script_attack)
    assert page.evaluate("window.__xss") is None
    assert user_texts(page)[-1] == script_attack
    assert page.evaluate(f"{IN_WIDGET}.querySelectorAll('.tt-log b, .tt-log script').length") == 0
    assert not page.errors


def test_keyboard_alone(new_page):
    page = new_page(1280, 800)
    page.keyboard.press("Tab")
    assert "tt-launcher" in active_element(page), "the launcher is the first stop"
    page.keyboard.press("Enter")
    wait_for_reply(page, 0)
    assert "tt-input" in active_element(page), "opening the panel puts the focus in the input"

    page.keyboard.type("my eyelid has been twitching for a few days")
    # Records whether the typing indicator shows while the widget waits for the answer.
    page.evaluate(
        f"""() => {{
            const typing = {IN_WIDGET}.querySelector('.tt-typing');
            window.__sawTyping = false;
            new MutationObserver(() => {{ if (!typing.hidden) window.__sawTyping = true; }})
                .observe(typing, {{attributes: true, attributeFilter: ['hidden']}});
        }}"""
    )
    before = items(page)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    assert page.evaluate("window.__sawTyping") is True
    assert page.locator(".tt-typing").is_hidden()
    assert user_texts(page)[-1] == "my eyelid has been twitching for a few days"
    assert page.locator(".tt-reply").count()
    assert "tt-input" in active_element(page)

    # Back from the input: the suggested answers come right before it.
    page.keyboard.press("Shift+Tab")
    assert "tt-reply" in active_element(page)
    focused = page.evaluate(f"{IN_WIDGET}.activeElement.textContent")
    before = items(page)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    assert user_texts(page)[-1] == focused

    # Forward from the input: Send; and the header's buttons are reachable too.
    page.locator(".tt-input").focus()
    page.keyboard.press("Tab")
    assert "tt-send" in active_element(page)
    stops = []
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        stops.append(active_element(page))
    assert any("tt-restart" in stop for stop in stops)
    assert any("tt-close" in stop for stop in stops)
    assert any("tt-scroller" in stop for stop in stops)

    # Escape closes the panel and gives the focus back to the launcher.
    page.locator(".tt-input").focus()
    page.keyboard.press("Escape")
    assert page.locator(".tt-panel").is_hidden()
    assert "tt-launcher" in active_element(page)
    assert page.locator(".tt-launcher").get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.locator(".tt-panel").is_visible()
    assert page.locator(".tt-user").count() == 2  # nothing lost by closing

    log = page.locator(".tt-log")
    assert log.get_attribute("aria-live") == "polite"
    assert not page.errors


def test_an_unreachable_server_gives_a_calm_note_and_nothing_is_lost(new_page, rasa_server):
    page = new_page(1280, 800)
    open_widget(page)
    page.route(f"{rasa_server.url}/webhooks/rest/webhook", lambda route: route.fulfill(status=500))
    page.locator(".tt-input").fill("my thumb twitches")
    page.locator(".tt-input").press("Enter")
    page.locator(".tt-note").wait_for(state="visible")
    assert "couldn't reach" in page.locator(".tt-note").text_content()
    assert user_texts(page)[-1] == "my thumb twitches"
    assert page.locator(".tt-send").is_enabled()  # the person can try again
    page.unroute(f"{rasa_server.url}/webhooks/rest/webhook")
    page.reload()
    page.locator(".tt-launcher").wait_for(state="visible")
    assert not page.locator(".tt-note").count()  # the note is not kept
    assert user_texts(page)[-1] == "my thumb twitches"
    assert not page.errors


def test_delete_my_data_clears_the_widget_and_the_server(new_page, rasa_server):
    page = new_page(1280, 800)
    open_widget(page)
    type_message(page, "my eyelid twitches since the zanzibarquay holiday")
    store = "JSON.parse(localStorage.getItem('twitchTriage.widget.v1'))"
    sender = page.evaluate(f"{store}.sender")

    page.locator(".tt-input").fill("delete my data")
    page.locator(".tt-input").press("Enter")
    page.wait_for_function(
        f"""() => {{
            const root = {IN_WIDGET};
            return root.querySelector('.tt-panel').getAttribute('aria-busy') === 'false'
                && root.querySelector('.tt-log').textContent.includes('deleted');
        }}""",
        timeout=REPLY_TIMEOUT_MS,
    )
    assert not user_texts(page), "nothing of the conversation is left on the screen"
    assert "deleted" in last_bot_text(page)
    assert page.evaluate(f"{store}.sender") != sender, "a new conversation gets a new id"
    assert "zanzibarquay" not in page.evaluate("localStorage.getItem('twitchTriage.widget.v1')")
    page.reload()
    page.locator(".tt-launcher").wait_for(state="visible")
    assert not user_texts(page)
    with sqlite3.connect(rasa_server.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0] == 0
    assert not page.errors


def test_on_a_phone_the_keyboard_stays_inside_the_full_screen_panel(new_page):
    page = new_page(360, 740)
    open_widget(page)
    for _ in range(12):  # more stops than the panel has: Tab must go round inside it
        page.keyboard.press("Tab")
        assert active_element(page), "the focus left the full-screen panel"
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert active_element(page), "the focus left the full-screen panel"


def test_the_summary_for_the_doctor_has_a_printable_page(new_page):
    page = new_page(1280, 800)
    open_widget(page)
    type_message(page, "my calves keep jumping at night since 5 days, way too much coffee")
    answer_until_card(page)
    type_message(page, "can I have a summary for my GP?")
    summary = page.locator(".tt-summary")
    assert summary.count() == 1
    text = summary.locator(".tt-summary-text").text_content()
    assert "Summary for a doctor" in text and "my calves keep jumping at night" in text
    assert "Summary for a doctor" not in " ".join(page.locator(".tt-bot").all_text_contents())  # shown once
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    summary.screenshot(path=str(SCREENSHOTS / "summary-in-widget.png"))
    page.context.add_init_script("window.print = () => { window.__printed = true; };")
    with page.expect_popup() as popup_info:
        summary.locator(".tt-print").click()
    printable = popup_info.value
    printable.wait_for_load_state()
    printable.evaluate("window.print = () => { window.__printed = true; }")
    assert "Summary for a doctor" in printable.locator("pre").text_content()
    printable.screenshot(path=str(SCREENSHOTS / "summary-printable.png"))
    assert not page.errors
