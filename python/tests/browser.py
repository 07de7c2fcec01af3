"""explore.html in a real browser: Debian's chromium, headless. A user's session driven over
the DevTools protocol (a click on a theme's circle, typing in the search box, Escape, a click
on a story), then each state a shared link gives (the URL keeps it); the counts the page shows
are checked against the run's Parquet tables and against the data it embeds, with no script
error or console error. Screenshots of each state are saved.

    python python/tests/browser.py REPORTS_DIR SCREENSHOT_DIR
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

import pyarrow.parquet as pq


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium on PATH: apt-get install chromium")


def load(page, state, size=(1280, 800), shot=None):
    """The page's DOM after its script ran, at `state` (the URL fragment)."""
    with tempfile.TemporaryDirectory() as profile:
        args = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
            "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0",
        ]
        url = f"file://{os.path.abspath(page)}#{state}"
        if shot:
            subprocess.run(args + [f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
        run = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    assert "Uncaught" not in run.stderr, f"{state}: script error: {run.stderr[-2000:]}"
    dom = run.stdout
    assert 'data-ready="1"' in dom, f"{state}: the script did not finish"
    assert "data-error" not in dom, f"{state}: " + re.search(r'data-error="([^"]*)"', dom).group(1)
    return dom


class Session:
    """One page in headless chromium, driven over the DevTools protocol on a pipe (fds 3 and 4,
    `--remote-debugging-pipe`: no port, no websocket library)."""

    def __init__(self, url, size=(1280, 800)):
        self.profile = tempfile.TemporaryDirectory()
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def fds():
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
             f"--window-size={size[0]},{size[1]}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self.buffer, self.next_id, self.errors = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1],
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)
        self.wait("document.body && document.body.dataset.ready === '1'")

    def _message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if getattr(self, "session", None):
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            m = self._message()
            if m.get("method") == "Runtime.exceptionThrown":
                self.errors.append(m["params"]["exceptionDetails"].get("text", "exception"))
            elif m.get("method") == "Runtime.consoleAPICalled" and m["params"]["type"] == "error":
                self.errors.append(str(m["params"]["args"]))
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, condition, seconds=20):
        for _ in range(seconds * 20):
            if self.eval(f"!!({condition})"):
                return
            time.sleep(0.05)
        raise AssertionError(f"never true: {condition}")

    def click(self, selector):
        """A real mouse click at the middle of the element (as a user, not a script, clicks)."""
        box = self.eval(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, text):
        self.call("Input.insertText", text=text)

    def key(self, key):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode={"Escape": 27, "Enter": 13, "Tab": 9}.get(key, 0))

    def count(self):
        return int(self.eval("document.getElementById('count').dataset.n"))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        self.proc.wait(timeout=30)
        self.profile.cleanup()


def a_users_session(page, data, themes, shots):
    """Click a theme, search a word, clear with Escape, open a story: what a user does."""
    rows = data["rows"]
    s = Session(f"file://{os.path.abspath(page)}")
    try:
        assert s.count() == len(rows)
        first = data["themes"][0]
        s.click(f'g.theme[data-theme="{first["id"]}"] circle')
        s.wait(f"document.getElementById('count').dataset.n === '{themes[0]['size']}'")
        assert f"theme={first['id']}" in s.eval("location.hash"), "the link keeps the theme"
        s.click("#q")
        s.type("oil")
        in_theme = sum(1 for r in rows if r[4] == 0 and holds(r, "oil"))
        s.wait(f"document.getElementById('count').dataset.n === '{in_theme}'")
        s.screenshot(os.path.join(shots, "explore-session.png"))
        s.key("Escape")  # in the search box: clears the search
        s.wait(f"document.getElementById('count').dataset.n === '{themes[0]['size']}'")
        s.type("oil")
        s.wait(f"document.getElementById('count').dataset.n === '{in_theme}'")
        s.click("header h1")
        s.key("Escape")  # elsewhere: closes the theme, the search stays
        everywhere = sum(1 for r in rows if holds(r, "oil"))
        s.wait(f"document.getElementById('count').dataset.n === '{everywhere}'")
        assert "theme=" not in s.eval("location.hash") and "q=oil" in s.eval("location.hash")
        story = next((j for j, st in enumerate(data["stories"]) if st[2] == 0), None)
        if story is not None:
            s.click("#clear")
            s.click(f'g.theme[data-theme="{first["id"]}"] circle')
            s.wait("document.querySelector('ul.stories button') !== null")
            s.click("ul.stories li:first-child button")
            top = max((st[3], -j, j) for j, st in enumerate(data["stories"]) if st[2] == 0)[2]
            want = sum(1 for r in rows if r[4] == 0 and r[5] == top)
            s.wait(f"document.getElementById('count').dataset.n === '{want}'")
        assert not s.errors, f"errors in the page: {s.errors}"
    finally:
        s.close()


def holds(row, word):
    """Whether an article's headline or snippet has a word starting with `word`, as the page
    searches."""
    text = ((row[1] or "") + " " + (row[7] or "")).lower()
    return re.search(r"(?:^|[\W_])" + re.escape(word), text) is not None


def shown_count(dom):
    return int(re.search(r'id="count" data-n="(\d+)"', dom).group(1))


def main(reports, shots):
    os.makedirs(shots, exist_ok=True)
    page = os.path.join(reports, "explore.html")
    html = open(page, encoding="utf-8").read()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html, (
        "the page asks for nothing from the network"
    )
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))
    themes = pq.read_table(os.path.join(reports, "themes.parquet")).to_pylist()
    stories = pq.read_table(os.path.join(reports, "stories.parquet")).to_pylist()
    articles = pq.read_table(os.path.join(reports, "articles.parquet"), columns=["article_id", "theme_id"])

    # The page's data is the tables'.
    assert [t["id"] for t in data["themes"]] == [t["theme_id"] for t in themes]
    assert [t["size"] for t in data["themes"]] == [t["size"] for t in themes]
    assert len(data["stories"]) == sum(1 for s in stories if s["articles"] > 1)
    assert data["articles"] == articles.num_rows
    rows = data["rows"]
    if not data["sampled"]:
        assert sorted(r[0] for r in rows) == sorted(articles.column("article_id").to_pylist())

    a_users_session(page, data, themes, shots)

    # Each state a shared link gives, everything first, at the size of a laptop screen.
    dom = load(page, "", shot=os.path.join(shots, "explore.png"))
    assert shown_count(dom) == len(rows)
    assert dom.count('class="theme') == len(data["themes"]), "one circle per theme"

    # A theme clicked: its articles, as many as themes.parquet says.
    first = data["themes"][0]
    dom = load(page, f"theme={first['id']}", shot=os.path.join(shots, "explore-theme.png"))
    assert shown_count(dom) == themes[0]["size"], (shown_count(dom), themes[0]["size"])
    assert 'class="theme selected"' in dom

    # A word searched: the articles whose headline or text holds it, per theme too.
    counts = {}
    for r in rows:
        if holds(r, "oil"):
            counts[r[4]] = counts.get(r[4], 0) + 1
    dom = load(page, "q=oil", size=(390, 844), shot=os.path.join(shots, "explore-phone.png"))
    assert shown_count(dom) == sum(counts.values()) > 0
    for i, t in enumerate(data["themes"]):
        assert f'data-theme="{t["id"]}" data-count="{counts.get(i, 0)}"' in dom, t["name"]
    dom = load(page, f"theme={first['id']}&q=oil")
    assert shown_count(dom) == counts.get(0, 0)

    # A story of the theme, and a period and a source as filters.
    story = next((j for j, s in enumerate(data["stories"]) if s[2] == 0), None)
    if story is not None:
        dom = load(page, f"theme={first['id']}&story={data['stories'][story][0]}")
        assert shown_count(dom) == sum(1 for r in rows if r[4] == 0 and r[5] == story)
    period = data["periods"][0]
    dom = load(page, urlencode({"period": period}))
    assert shown_count(dom) == sum(1 for r in rows if r[6] == 0)
    source = data["sources"][0]
    dom = load(page, urlencode({"source": source}))
    assert shown_count(dom) == sum(1 for r in rows if r[3] == 0)
    print(f"explore.html: {len(data['themes'])} themes, {len(rows)} articles; states checked in {chromium()}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
