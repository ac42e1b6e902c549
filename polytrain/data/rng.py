"""Deprecated alias of ``polytrain.rng`` (the plugin API of polytrain 0.1); removed in 0.3."""

import warnings

from polytrain.rng import make_rng

warnings.warn("polytrain.data.rng is deprecated: import make_rng from polytrain.rng", DeprecationWarning,
              stacklevel=2)

__all__ = ["make_rng"]
