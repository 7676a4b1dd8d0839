"""Where discovery's clips are scored: in this process, or on Ray workers that each load the model once.

Both engines take ClipJobs and yield (job, ClipScores | ClipFailure) as clips finish, so the driver's code is
the same for both. Ray is imported only by RayEngine (pip install ray; see requirements-dev.txt).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from ..errors import EngineError
from .clip_scoring import ClipFailure, ClipJob, ClipScorer, ClipScores

ENGINES = ("inprocess", "ray")
WAIT_SLICE_SECONDS = 0.25  # the driver wakes this often while it waits for results (to see Ctrl-C)
JOBS_IN_FLIGHT_PER_WORKER = 2  # one running, one queued: a worker never waits for the driver
WORKER_RESTARTS = 2  # a worker that dies (out of memory, say) is restarted this often, reloading the model

Outcome = tuple[ClipJob, "ClipScores | ClipFailure"]


@dataclass(frozen=True)
class EngineOptions:
    """How clips are scored."""

    model: str = "tiny.en"  # registry name or path, as load_model takes it
    device: str = "cpu"
    engine: str = "inprocess"  # one of ENGINES
    address: str | None = None  # Ray cluster address ("auto", "ray://host:10001"); None starts a local Ray
    workers: int | None = None  # Ray workers; None = one per CPU of the cluster (local: this machine's)
    threads_per_worker: int | None = None  # torch threads (on Ray also CPUs) per worker; None: 1 on Ray, all here
    gpus_per_worker: float = 0.0  # e.g. 0.25 puts four workers on each GPU


class InProcessEngine:
    """Scores clips one after another with one model in this process."""

    def __init__(self, options: EngineOptions):
        self.options = options
        self.workers = 1
        self._scorer = ClipScorer(options.model, options.device, options.threads_per_worker)

    def run(self, jobs: Iterable[ClipJob]) -> Iterator[Outcome]:
        for job in jobs:
            yield job, self._scorer.score(job)

    def close(self) -> None:
        self._scorer = None


class RayEngine:
    """Scores clips on Ray actors, each holding one ClipScorer; starts a local Ray unless given an address."""

    def __init__(self, options: EngineOptions):
        try:
            import ray  # noqa: PLC0415
        except ImportError as e:
            raise EngineError("--engine ray needs Ray: pip install 'ray==2.60.0' (or run without --engine ray)") from e
        options = replace(options, threads_per_worker=options.threads_per_worker or 1)
        self.ray, self.options = ray, options
        self._started = not ray.is_initialized()
        if self._started:
            try:
                if options.address:
                    ray.init(address=options.address, log_to_driver=False)
                else:
                    ray.init(num_cpus=options.workers * options.threads_per_worker if options.workers else None,
                             include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise EngineError(f"cannot start or reach Ray at {options.address or 'a local instance'}: {e}") from e
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = options.workers or max(1, cpus // options.threads_per_worker)
        self._actor_class = ray.remote(ClipScorer).options(
            num_cpus=options.threads_per_worker, num_gpus=options.gpus_per_worker, max_restarts=WORKER_RESTARTS)
        self._actors = [self._new_actor() for _ in range(self.workers)]
        try:  # every worker has loaded the model: a model that cannot load stops here, not at every clip
            ray.get([actor.ready.remote() for actor in self._actors])
        except ray.exceptions.RayError as e:
            self.close()
            raise EngineError(f"the Ray workers could not load {options.model!r}: {str(e).splitlines()[-1]}") from e

    def _new_actor(self):
        o = self.options
        return self._actor_class.remote(o.model, o.device, o.threads_per_worker)  # loads the model in the worker

    def run(self, jobs: Iterable[ClipJob]) -> Iterator[Outcome]:
        """Keep every actor busy; yield outcomes as they finish (not in job order)."""
        ray = self.ray
        pending = deque(jobs)
        running: dict = {}  # object ref -> (job, actor index)
        load = [0] * len(self._actors)

        def submit(index: int) -> None:
            job = pending.popleft()
            running[self._actors[index].score.remote(job)] = (job, index)
            load[index] += 1

        for index in range(len(self._actors)):
            for _ in range(JOBS_IN_FLIGHT_PER_WORKER):
                if pending:
                    submit(index)
        while running:
            ready: list = []
            while not ready:  # short waits: a blocking ray.wait would not see Ctrl-C until every job is done
                ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_SLICE_SECONDS)
            done = ready[0]
            job, index = running.pop(done)
            load[index] -= 1
            try:
                outcome = ray.get(done)
            except ray.exceptions.RayError as error:  # the worker died or its task crashed outside score()
                outcome = ClipFailure(job.clip.id, f"worker failed: {type(error).__name__}: {error}".splitlines()[0])
            yield job, outcome
            if pending:
                submit(index)

    def close(self) -> None:
        for actor in self._actors:
            self.ray.kill(actor)
        self._actors = []
        if self._started:
            self.ray.shutdown()


def open_engine(options: EngineOptions) -> InProcessEngine | RayEngine:
    if options.engine not in ENGINES:
        raise EngineError(f"unknown engine {options.engine!r}; use one of {', '.join(ENGINES)}")
    return RayEngine(options) if options.engine == "ray" else InProcessEngine(options)
