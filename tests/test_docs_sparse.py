"""The sparse-input page's example (tf-idf -> KMeans in a pipeline) runs
as printed in the documentation and finds the generated topics."""

import contextlib
import io
import pathlib
import re

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "sparse.md"


def section_code(heading):
    """The first ```python block after a heading of the page."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"# {heading}")
    return re.search(r"```python\n(.*?)```", text[start:], flags=re.S).group(1)


def test_tfidf_kmeans_pipeline_example_runs():
    code = section_code("Sparse input")
    assert "TfidfVectorizer" in code and "emclust.KMeans" in code
    out = io.StringIO()
    namespace = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(PAGE), "exec"), namespace)
    assert type(namespace["pipe"][0].transform(["rocket moon"])).__name__ in (
        "csr_matrix",
        "csr_array",
    )
    ari = float(re.search(r"adjusted Rand index: ([0-9.]+)", out.getvalue()).group(1))
    assert ari > 0.9
    # Every cluster's top terms come from one topic.
    lines = out.getvalue().splitlines()[1:]
    topics = [set(t) for t in namespace["topics"]]
    for line in lines:
        words = set(line.split()[1:])
        assert any(words <= t for t in topics), line
