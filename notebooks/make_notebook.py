#!/usr/bin/env python3
"""Writes explore_themes.ipynb from the cells below (no outputs), so the notebook's source
stays reviewable as plain Python. Run it after editing the cells."""
import nbformat as nbf

cells = [
    ("md", """# Exploring a tidings run

Runs tidings from Python on the bundled sample (`import tidings`; install it with
`pip install ./python`), or, with `TIDINGS_REPORTS` set, opens a `reports/` folder written by
`tidings run` or `tidings compare`. It shows the themes, plots their counts over time, compares
the last two periods (or shows the comparison when `compare` ran), and lists the most central
articles of a theme."""),
    ("code", """import os
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")  # renders headless too
import matplotlib.pyplot as plt

REPORTS = os.environ.get("TIDINGS_REPORTS")
if REPORTS:  # Parquet tables the CLI wrote
    REPORTS = Path(REPORTS)
    def read(name):
        path = REPORTS / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None
    source = REPORTS
else:  # the same tables, straight from the Python package
    import tidings
    result = tidings.run("../data/sample", k=8, seed=42)
    def read(name):
        table = result.table(name)
        return None if table is None else table.to_pandas()
    source = result.accounting
articles, themes, counts = read("articles"), read("themes"), read("theme_counts")
comparison = read("comparison")
print(f"{len(articles)} articles in {len(themes)} themes, from {source}")"""),
    ("md", "## The themes"),
    ("code", """themes[["theme_id", "name", "label", "size", "share"]].assign(share=lambda t: (t.share * 100).round(1))"""),
    ("md", "## Theme counts over time"),
    ("code", """dated = counts[counts.period != "undated"]
pivot = dated.pivot_table(index="period_start", columns="theme_label", values="count", aggfunc="sum")
ax = pivot.plot(figsize=(11, 5), marker="o")
ax.set_ylabel("articles")
ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
plt.tight_layout()
pivot.tail()"""),
    ("md", """## What changed

From the comparison when `tidings compare` wrote this folder; otherwise the last period
against the one before, from `theme_counts.parquet`."""),
    ("code", """if comparison is not None:
    change = comparison[["theme_id", "name", "count_before", "count_after", "share_change", "z", "status"]]
else:
    periods = sorted(dated.period.unique())
    before, after = periods[-2], periods[-1]
    share = dated.pivot_table(index=["theme_id", "theme_label"], columns="period", values="share").fillna(0)
    change = (share[after] - share[before]).rename("share_change").reset_index()
    change["before"], change["after"] = before, after
change.sort_values("share_change", ascending=False)"""),
    ("md", """## The stories under the themes

`stories.parquet` has one row per story (reports of one event close in time); every article's
`story_id` is in `articles.parquet`. The largest stories of more than one report, and the
articles of the first of them in date order:"""),
    ("code", """stories = read("stories")
multi = stories[stories.articles > 1].sort_values(["articles", "story_id"], ascending=[False, True])
print(f"{len(stories)} stories, {len(multi)} of more than one report")
top = multi.iloc[0]
print(f"S{top.story_id} {top['name']}: {top.articles} articles, {top.first_date} to {top.last_date}")
display(multi[["story_id", "name", "theme_label", "articles", "copies", "first_date", "last_date", "headline"]].head(10))
articles[articles.story_id == top.story_id].sort_values(["date", "article_id"])[["date", "title"]]"""),
    ("md", "## The most central articles of a theme"),
    ("code", """THEME = int(themes.theme_id.iloc[0])
print(themes.loc[themes.theme_id == THEME, "name"].item())
(articles[articles.theme_id == THEME]
    .sort_values("distance")[["article_id", "date", "title", "distance"]]
    .head(10))"""),
    ("md", """## The themes as a few groups

`theme_tree.parquet` joins the themes closest first (Ward linkage of their centroids). Undoing
its last merges cuts it into groups: with 40 themes, 8 groups read like the desks of a
newsroom. `theme_tree.png` draws the same tree."""),
    ("code", """tree = read("theme_tree")
GROUPS = 4
order = list(dict.fromkeys(tree.parent))  # groups in merge order, the root last
children = tree.groupby("parent", sort=False).child.apply(list).to_dict()
undone = set(order[len(order) - (min(GROUPS, len(order) + 1) - 1):]) if GROUPS > 1 else set()
tops = [c for g in order if g in undone for c in children[g] if c not in undone] or order[-1:]
def leaves(node):
    return [node] if node.startswith("T") else [t for c in children[node] for t in leaves(c)]
key = "T" + themes.theme_id.astype(str)
names, sizes = dict(zip(key, themes.name)), dict(zip(key, themes["size"]))
groups = pd.DataFrame([
    {"group": i + 1, "themes": ", ".join(names[t] for t in leaves(top)),
     "articles": sum(sizes[t] for t in leaves(top))}
    for i, top in enumerate(tops)
])
assert groups.articles.sum() == themes["size"].sum(), "every theme in exactly one group"
groups"""),
    ("md", """## Many weeks: the timeline

`tidings timeline` lays weekly runs against one model end to end (`examples/weekly_loop.py`
runs the whole loop: fit, update week by week, timeline). Its `timeline.parquet` has one row
per period × theme, with each theme's birth."""),
    ("code", """timeline_path = Path(REPORTS) / "weeks" / "timeline" / "timeline.parquet" if REPORTS else None
if timeline_path is not None and timeline_path.exists():
    timeline = pd.read_parquet(timeline_path)
    shares = timeline.pivot_table(index="period", columns="name", values="share", aggfunc="sum")
    top = shares.mean().sort_values(ascending=False).index[:8]
    ax = (shares[top] * 100).plot(figsize=(11, 5), marker="o")
    ax.set_ylabel("share of the week's articles (%)")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    plt.tight_layout()
    totals = timeline.groupby("period")["count"].sum()
    births = timeline.dropna(subset=["born"]).drop_duplicates("theme_id")[["theme_id", "name", "born"]]
    display(totals.to_frame("articles"), births)
else:
    print("no timeline here: run examples/weekly_loop.py into REPORTS/weeks")"""),
    ("md", "## Articles joined to their themes"),
    ("code", """theme_info = themes[["theme_id", "top_terms", "size"]].rename(columns={"size": "theme_size"})
joined = articles.merge(theme_info, on="theme_id", how="left", validate="many_to_one")
assert len(joined) == len(articles), "every article has exactly one theme"
joined[["article_id", "date", "title", "theme_label", "theme_size"]].head()"""),
    ("md", """## Exploring in the browser

`explore.html` is the run as one interactive page: a map of the themes, each theme's trend,
stories and articles, one search over headlines and texts, filters by period and source. The
Python package shows it inline; a `reports/` folder has it as a file."""),
    ("code", """if REPORTS:
    print(f"open {Path(REPORTS) / 'explore.html'} in a browser")
else:
    display(result.explore())"""),
]

nb = nbf.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
for i, cell in enumerate(nb.cells):
    cell.id = f"cell-{i:02d}"  # stable ids: regenerating changes only what was edited
nbf.write(nb, "explore_themes.ipynb")
