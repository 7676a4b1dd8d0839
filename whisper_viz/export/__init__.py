"""What a person downloads: word timings (JSON, CSV, SRT, WebVTT), head sets (base85 dump, l:h list)
and captured attention (NPZ)."""
