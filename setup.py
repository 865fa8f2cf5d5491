"""Package discovery, which pyproject.toml cannot say alone: every package under aivp_nle/, plus the
Resolve Workspace scripts (top-level resolve_scripts/) shipped inside as aivp_nle.resolve_scripts."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["aivp_nle", "aivp_nle.*"]), "aivp_nle.resolve_scripts"],
    package_dir={"aivp_nle.resolve_scripts": "resolve_scripts"},
)
