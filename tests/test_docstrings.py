"""Every public name's docstring passes numpydoc's validation (the API
reference is generated from them), but for a few declared checks."""

import inspect

import emclust
import numpydoc.validate as numpydoc_validate
import pytest

# Checks not enforced, and why:
# - ES01 (no extended summary), SA01 (no See Also), EX01 (no Examples): the
#   user guide and the gallery carry the worked examples and the prose; a
#   one-line summary is complete for most methods.
# - GL08 for attributes without a docstring of their own is not ignored:
#   every public name documents itself.
IGNORED = frozenset({"ES01", "SA01", "EX01"})


def _own_members(cls):
    """The public methods and properties that emclust defines for a class,
    in the class or in its emclust base classes (those it inherits from
    scikit-learn are scikit-learn's to document)."""
    seen = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("emclust"):
            continue
        for name, value in vars(base).items():
            if name.startswith("_") or name in seen:
                continue
            if inspect.isfunction(value) or isinstance(
                value, (property, classmethod, staticmethod)
            ):
                seen.add(name)
                yield f"{cls.__name__}.{name}"


def _public_names():
    names = []
    for name in emclust.__all__:
        if name == "__version__":
            continue
        obj = getattr(emclust, name)
        if inspect.ismodule(obj):
            names += [f"{name}.{f}" for f in obj.__all__]
            continue
        if getattr(obj, "__module__", "").startswith("sklearn"):
            continue  # ConvergenceWarning, NotFittedError: scikit-learn's classes
        names.append(name)
        if inspect.isclass(obj):
            names += list(_own_members(obj))
    return names


@pytest.mark.parametrize("name", _public_names())
def test_docstring_is_valid(name):
    result = numpydoc_validate.validate(f"emclust.{name}")
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, "\n".join(errors)


def test_every_public_name_is_in_the_api_reference():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    if not docs.is_dir():
        pytest.skip("no docs/ beside the tests (an installed sdist)")
    text = (docs / "api.rst").read_text(encoding="utf-8")
    listed = {line.strip() for line in text.splitlines()}
    missing = [n for n in emclust.__all__ if n not in listed and n != "datasets"]
    assert not missing, missing
    assert "api_datasets" in listed
    datasets = (docs / "api_datasets.rst").read_text(encoding="utf-8")
    assert all(f"   {f}" in datasets for f in emclust.datasets.__all__)
