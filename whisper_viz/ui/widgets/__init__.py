"""Widgets the pages are built from: inputs, heatmap, head grid, word table, A/B compare, exports and the
silence shift table; each calls the library and draws, it computes nothing the library does not offer."""
