"""``polytrain inspect``: corrupted examples of any objective next to their text, and achieved statistics.

The objective is given as in training configs (``--objective CLASS --objective.init_args.X V``, a
``{class_path, init_args}`` JSON/YAML value, or ``-c CONFIG`` with ``model.objectives``), so built-in
and plugin objectives are inspected the same way. Samples come from the shards through the training
stream's own reading, tokenizing and packing (``samples``); examples come from ``make_example`` with
the stream's generators, so ``--split val`` shows the very examples validation scores. Statistics
come from the objective's ``statistics`` hook plus a few every objective has (``stats``);
``render`` turns ids back into text and prints the report; ``command`` is the command line. The full
story, with real output, is in docs/inspect.md.
"""

from polytrain.inspect.command import main
from polytrain.inspect.samples import iter_examples

__all__ = ["iter_examples", "main"]
