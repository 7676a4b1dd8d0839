"""How good an alignment is: reference word timings (JSON, CSV, TextGrid, SRT, VTT), the one
word-boundary metric every report uses, per-head scores and head discovery (over a corpus: in process or on Ray)."""
