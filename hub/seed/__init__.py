"""Reference data (regions, centres, sectors) and datasets: the Jakarta demo, synthetic data."""

from hub.seed.demo import DemoTokens, demo_tokens, load_demo
from hub.seed.reference import load_reference_data
from hub.seed.synthetic import NATIONAL, Loaded, load_national

__all__ = [
    "NATIONAL",
    "DemoTokens",
    "Loaded",
    "demo_tokens",
    "load_demo",
    "load_national",
    "load_reference_data",
]
