"""Shared pytest fixtures."""

import importlib

import pytest

# Module that provides e_step, m_step and GaussianMixture for each
# implementation: the pure-NumPy oracle and the native core's Python layer.
_IMPLEMENTATIONS = {"reference": "emclust.reference", "native": "emclust"}


@pytest.fixture(params=list(_IMPLEMENTATIONS), ids=lambda name: f"impl={name}")
def impl(request):
    """The module implementing the Gaussian mixture under test."""
    return importlib.import_module(_IMPLEMENTATIONS[request.param])
