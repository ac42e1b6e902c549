"""T5-style span corruption (Raffel et al. 2020 §3.1.4) as a polytrain objective plugin.

polytrain finds ``SpanCorruption`` through this distribution's ``polytrain.objectives`` entry point
(name ``t5span``); polytrain itself never imports this package.
"""

from polytrain_t5span.objective import SpanCorruption, random_spans_noise_mask

__all__ = ["SpanCorruption", "random_spans_noise_mask"]
__version__ = "0.1.0"
