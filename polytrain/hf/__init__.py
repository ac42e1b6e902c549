"""Between polytrain and Hugging Face ``transformers``: export (``hf.export``), import (``hf.importer``),
the one parameter-name table both use (``hf.mapping``) and the architecture configs (``hf.config``).

``transformers`` is optional (``pip install 'polytrain[hf]'``); these modules import it only inside
their functions, so importing polytrain never imports it.
"""
