"""YAML parsing for content files: libyaml's C parser where available, one pass for both the
node tree (for line numbers in error messages) and the data."""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml (bundled with PyYAML's wheels) parses ~10× faster than the pure-Python parser; the
#: bundled content is parsed by every process at start, so it is most of a CLI command's time.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree and its data (``None, None`` for an empty document).

    Raises :class:`yaml.MarkedYAMLError` with the place of a syntax error.
    """
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data
