"""Attention to word times: per-head matrices -> mean over a head set -> DTW -> words (reference and tuned
presets, one per-window interface). Reads only captured attention, so the engine can time words with it."""
