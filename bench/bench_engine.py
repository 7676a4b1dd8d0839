"""Speed of `analyze` (transcript + all-head capture + word timings) against the peers, same weights and clip.

    python bench/bench_engine.py --model tiny.en --clip tests/data/speech20.flac --threads 2 --runs 5
    python bench/bench_engine.py --model base --device cuda --clip ... (GPU: fp16)

Peers: faster-whisper `transcribe(word_timestamps=True, beam_size=1)` and openai-whisper
`transcribe(word_timestamps=True)` with our converted weights loaded into its model. Every
timing is warm (one untimed run first) and the median of --runs. Each contender runs in a process of
its own (after CTranslate2 has run in a process, PyTorch's CPU products there run up to 4x slower),
and the runs are interleaved, one of each per round, so that load from other processes on a shared
machine falls on all of them alike; each ratio is the median of the per-round ratios. Also reports
cold start: the first load of the model (empty cache) and a second load (from the cache).
"""

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import whisper_viz as wv  # noqa: E402
from whisper_viz.engine.audio import load_audio  # noqa: E402
from whisper_viz.heads import HeadSet  # noqa: E402


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    started = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - started


def contender_worker(name: str, args: argparse.Namespace, connection) -> None:
    """In its own process: build one contender, warm it up, then time one run per request."""
    torch.set_num_threads(args.threads)
    model = wv.load_model(args.model, device=args.device)
    audio = clip_audio(args)
    if name == "whisper-viz":
        run = lambda: wv.analyze(model, audio)  # noqa: E731
    else:
        peer = faster_peer(model, args.threads) if name == "faster-whisper" else openai_peer(model)
        run = lambda: peer(audio)  # noqa: E731
    run()  # warm-up (numba compile, allocator, caches)
    connection.send((model.device.type, str(model.dtype), len(audio) / 16000))
    while connection.recv():
        connection.send(timed(run))


def interleaved_seconds(names: list[str], args: argparse.Namespace) -> tuple[dict[str, list[float]], tuple]:
    """Seconds of each contender per round, each in its own process, one run of each per round.

    Also returns (device type, dtype, clip seconds) as the first contender reported them.
    """
    context = multiprocessing.get_context("spawn")
    workers = {}
    for name in names:
        parent, child = context.Pipe()
        process = context.Process(target=contender_worker, args=(name, args, child), daemon=True)
        process.start()
        workers[name] = (process, parent)
    setup = [connection.recv() for _, connection in workers.values()][0]
    times = {name: [] for name in names}
    for _ in range(args.runs):
        for name, (_, connection) in workers.items():
            connection.send(True)
            times[name].append(connection.recv())
    for process, connection in workers.values():
        connection.send(False)
        process.join()
    return times, setup


def clip_audio(args: argparse.Namespace):
    audio = load_audio(args.clip)
    return audio[: int(args.seconds * 16000)] if args.seconds else audio


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
    names = ["whisper-viz"] + [peer for peer in ("faster-whisper", "openai-whisper") if peer not in args.skip]
    times, (device, dtype, seconds) = interleaved_seconds(names, args)
    print(f"model {args.model} on {device} ({dtype}), clip {args.clip} ({seconds:.1f} s), {args.threads} threads, "
          f"median of {args.runs} warm runs, one process per contender, interleaved")
    print(f"cold start: first load {first_load * 1000:.0f} ms, second load (cache) {cached_load * 1000:.0f} ms")
    ours = times.pop("whisper-viz")
    print(f"{'whisper-viz analyze':<30}{statistics.median(ours) * 1000:8.1f} ms")
    for name, peer_times in times.items():
        ratio = statistics.median(a / b for a, b in zip(ours, peer_times))
        print(f"{name + ' (words)':<30}{statistics.median(peer_times) * 1000:8.1f} ms   ratio ours/{name}: {ratio:.2f}")


if __name__ == "__main__":
    main()
