"""Sphinx configuration of emclust's documentation.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (with the package
importable: installed, or ``PYTHONPATH=python`` on a source build).
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery draws without a display

ROOT = Path(__file__).resolve().parents[1]
# A source checkout with the extension built in place (python/emclust/_core*.so)
# documents itself; an installed emclust is used otherwise.
if (ROOT / "python" / "emclust").is_dir() and any(
    (ROOT / "python" / "emclust").glob("_core*")
):
    sys.path.insert(0, str(ROOT / "python"))

import emclust  # noqa: E402

project = "emclust"
author = "the emclust developers"
copyright = "2026, the emclust developers"
release = emclust.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

# MyST: $...$ maths, ::: fences and anchors on headings up to level 3.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API pages: one per public name, from the docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The machines that build these pages have no network: no intersphinx.

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "show_memory": False,
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
    # Each API page lists the examples that use its name.
    "doc_module": ("emclust",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = "emclust"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # The API pages are one object each: no page contents beside them.
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "user_guide/*": ["page-toc"],
        "auto_examples/*": ["page-toc"],
        "generated/*": [],
        "user_guide/performance": [],  # its wide tables need the width
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

os.environ.setdefault("EMCLUST_DOCS", "1")
