#!/usr/bin/env python3
"""Writes explore_themes.ipynb from the cells below (no outputs), so the notebook's source
stays reviewable as plain Python. Run it after editing the cells."""
import nbformat as nbf

cells = [
    ("md", """# Exploring a tidings run

Open this next to a `reports/` folder written by `tidings run` (or `tidings compare`). It loads
the Parquet tables, shows the themes, plots their counts over time, compares the last two
periods (or reads `comparison.parquet` when `compare` ran), and lists the most central
articles of a theme. Set `TIDINGS_REPORTS` to point it at another folder."""),
    ("code", """import os
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")  # renders headless too
import matplotlib.pyplot as plt

REPORTS = Path(os.environ.get("TIDINGS_REPORTS", "../reports"))
articles = pd.read_parquet(REPORTS / "articles.parquet")
themes = pd.read_parquet(REPORTS / "themes.parquet")
counts = pd.read_parquet(REPORTS / "theme_counts.parquet")
print(f"{len(articles)} articles in {len(themes)} themes, from {REPORTS}")"""),
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

From `comparison.parquet` when `tidings compare` wrote this folder; otherwise the last period
against the one before, from `theme_counts.parquet`."""),
    ("code", """comparison_file = REPORTS / "comparison.parquet"
if comparison_file.exists():
    change = pd.read_parquet(comparison_file)[["theme_id", "name", "count_before", "count_after", "share_change", "z", "status"]]
else:
    periods = sorted(dated.period.unique())
    before, after = periods[-2], periods[-1]
    share = dated.pivot_table(index=["theme_id", "theme_label"], columns="period", values="share").fillna(0)
    change = (share[after] - share[before]).rename("share_change").reset_index()
    change["before"], change["after"] = before, after
change.sort_values("share_change", ascending=False)"""),
    ("md", "## The most central articles of a theme"),
    ("code", """THEME = int(themes.theme_id.iloc[0])
print(themes.loc[themes.theme_id == THEME, "name"].item())
(articles[articles.theme_id == THEME]
    .sort_values("distance")[["article_id", "date", "title", "distance"]]
    .head(10))"""),
    ("md", "## Articles joined to their themes"),
    ("code", """theme_info = themes[["theme_id", "top_terms", "size"]].rename(columns={"size": "theme_size"})
joined = articles.merge(theme_info, on="theme_id", how="left", validate="many_to_one")
assert len(joined) == len(articles), "every article has exactly one theme"
joined[["article_id", "date", "title", "theme_label", "theme_size"]].head()"""),
]

nb = nbf.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
nbf.write(nb, "explore_themes.ipynb")
