"""explore.html in a real browser: Debian's chromium, headless, loads the page of a run in
the states a user reaches by clicking and typing (each is kept in the URL), and the counts it
shows are checked against the run's Parquet tables and against the data the page embeds.
Screenshots of each state are saved.

    python python/tests/browser.py REPORTS_DIR SCREENSHOT_DIR
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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

    # Everything, at the size of a laptop screen.
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
        if "oil" in ((r[1] or "") + " " + (r[7] or "")).lower():
            counts[r[4]] = counts.get(r[4], 0) + 1
    dom = load(page, "q=oil", size=(390, 844), shot=os.path.join(shots, "explore-phone.png"))
    assert shown_count(dom) == sum(counts.values()) > 0
    for i, t in enumerate(data["themes"]):
        assert f'data-theme="{t["id"]}" data-count="{counts.get(i, 0)}"' in dom, t["name"]
    dom = load(page, f"theme={first['id']}&q=oil")
    assert shown_count(dom) == counts.get(0, 0)

    # A story of the theme, and a period and a source as filters.
    story = next((j for j, s in enumerate(data["stories"]) if s["theme"] == 0), None)
    if story is not None:
        dom = load(page, f"theme={first['id']}&story={data['stories'][story]['id']}")
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
