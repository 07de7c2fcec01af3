#!/usr/bin/env python3
"""Executes a notebook headless from top to bottom; exits non-zero if any cell fails.

    python notebooks/run_notebook.py notebooks/explore_themes.ipynb
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
print(f"{path}: {len(nb.cells)} cells ran")
