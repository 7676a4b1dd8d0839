"""Experiments on the audio: insert silence or noise into a clip, re-align it on the same transcript
and measure how far each word moved against how far it should have."""
