"""Speed of `analyze` (transcript + all-head capture + word timings) against the peers, same weights and clip.

    python bench/bench_engine.py --model tiny.en --clip tests/data/speech20.flac --threads 2 --runs 5
    python bench/bench_engine.py --model base --device cuda --clip ... (GPU: fp16)

Peers: faster-whisper `transcribe(word_timestamps=True, beam_size=1)` and openai-whisper
`transcribe(word_timestamps=True)` with our converted weights loaded into its model. Every
timing is warm (one untimed run first) and the median of --runs. Also reports cold start:
the first load of the model (empty cache) and a second load (from the cache).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import whisper_viz as wv  # noqa: E402
from whisper_viz.audio import load_audio  # noqa: E402
from whisper_viz.heads import HeadSet  # noqa: E402


def median_seconds(fn, runs: int) -> float:
    fn()  # warm-up (numba compile, allocator, caches)
    times = []
    for _ in range(runs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        started = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cold_start(model_name: str, device: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as cache:
        import os

        os.environ["WHISPER_VIZ_CACHE"] = cache
        first = wv.load_model(model_name, device=device)
        second = wv.load_model(model_name, device=device)
        assert not first.from_cache and second.from_cache
        del os.environ["WHISPER_VIZ_CACHE"]
        return first.load_seconds, second.load_seconds


def openai_peer(model: wv.LoadedModel):
    import whisper
    from whisper.model import ModelDimensions, Whisper

    reference = Whisper(ModelDimensions(**model.dims.to_dict()))
    reference.load_state_dict({k: v.float() for k, v in model.model.state_dict().items() if k != "alignment_heads"})
    reference.set_alignment_heads(HeadSet(model.official_heads).to_dump())
    reference = reference.to(model.device).eval()  # fp32 weights, as openai-whisper's load_model keeps them
    fp16 = model.device.type == "cuda"  # ...and fp16 compute on CUDA through its casting layers
    return lambda audio: whisper.transcribe(reference, audio, word_timestamps=True, temperature=0.0, fp16=fp16,
                                            beam_size=None, verbose=None)


def faster_peer(model: wv.LoadedModel, threads: int):
    from faster_whisper import WhisperModel

    folder = str(model.source.weights[0].parent)
    if len(model.source.weights) > 1:  # split model.bin: faster-whisper needs one file
        folder = tempfile.mkdtemp()
        with open(Path(folder) / "model.bin", "wb") as out:
            for part in model.source.weights:
                out.write(part.read_bytes())
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (Path(folder) / name).write_bytes((model.source.weights[0].parent / name).read_bytes())
    cuda = model.device.type == "cuda"
    fw = WhisperModel(folder, device="cuda" if cuda else "cpu", compute_type="float16" if cuda else "float32",
                      cpu_threads=threads)

    def run(audio):
        segments, _ = fw.transcribe(audio, beam_size=1, temperature=0.0, word_timestamps=True, vad_filter=False)
        return list(segments)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clip", default="tests/data/speech20.flac")
    parser.add_argument("--seconds", type=float, default=None, help="use only the clip's first SECONDS")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=[], choices=["faster-whisper", "openai-whisper"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    first_load, cached_load = cold_start(args.model, args.device)
    model = wv.load_model(args.model, device=args.device)
    audio = load_audio(args.clip)
    if args.seconds:
        audio = audio[: int(args.seconds * 16000)]
    print(f"model {args.model} on {model.device} ({model.dtype}), clip {args.clip} ({len(audio) / 16000:.1f} s), "
          f"{args.threads} threads, median of {args.runs} warm runs")
    print(f"cold start: first load {first_load * 1000:.0f} ms, second load (cache) {cached_load * 1000:.0f} ms")
    ours = median_seconds(lambda: wv.analyze(model, audio), args.runs)
    print(f"whisper-viz analyze:          {ours * 1000:8.1f} ms")
    peers = {}
    if "faster-whisper" not in args.skip:
        peers["faster-whisper"] = faster_peer(model, args.threads)
    if "openai-whisper" not in args.skip:
        peers["openai-whisper"] = openai_peer(model)
    for name, run in peers.items():
        seconds = median_seconds(lambda: run(audio), args.runs)
        print(f"{name + ' (words)':<30}{seconds * 1000:8.1f} ms   ratio ours/{name}: {ours / seconds:.2f}")


if __name__ == "__main__":
    main()
