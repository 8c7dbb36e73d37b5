"""Fixtures shared by the pipeline and CLI tests: one demo run per session, reused by many tests."""
from __future__ import annotations

import pytest

from redistrict.config import SplitConfig
from redistrict.pipeline import run_split
from redistrict.sample import SAMPLE_COMMUNITY, sample_paths


@pytest.fixture(scope="session")
def sample_config() -> SplitConfig:
    return SplitConfig(inputs={k: str(v) for k, v in sample_paths().items()}, community=SAMPLE_COMMUNITY,
                       time_limit_s=60.0)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, sample_config):
    """The whole pipeline on the embedded sample, as `redistrict demo` runs it."""
    out = tmp_path_factory.mktemp("demo") / "out"
    return run_split(sample_config.with_overrides(out=str(out)))
