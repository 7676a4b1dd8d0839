"""DTW kernels and the median filter, against openai-whisper's `dtw_cpu` and `median_filter`."""

import numpy as np
import pytest
import torch
from whisper.timing import dtw_cpu
from whisper.timing import median_filter as reference_median_filter

from whisper_viz.alignment.dtw import dtw_numba, median_filter
from whisper_viz.errors import AlignmentError


def plant_path(n_tokens: int, n_frames: int, rng: np.random.Generator):
    """Random costs in [0, 1) with a random monotonic path carved 1 lower; returns (cost, path)."""
    moves = np.array([0] * (n_tokens - 1) + [1] * (n_frames - 1))  # 0 = next token, 1 = next frame
    rng.shuffle(moves)
    cost = rng.random((n_tokens, n_frames)).astype(np.float32)
    i = j = 0
    path = [(0, 0)]
    for move in moves:
        i, j = (i + 1, j) if move == 0 else (i, j + 1)
        path.append((i, j))
    for i, j in path:
        cost[i, j] -= 1
    return cost, np.array(path).T  # (2, steps)


@pytest.mark.parametrize("shape", [(10, 20), (32, 32), (37, 80), (1, 15), (12, 12)])
def test_dtw_recovers_planted_path(shape):
    rng = np.random.default_rng(sum(shape))
    cost, path = plant_path(*shape, rng)
    for given in (cost, torch.from_numpy(cost)):  # numpy or torch (copied to the host)
        text, time = dtw_numba(given)
        # every planted cell is negative and every other cell positive: the planted path is
        # the unique cheapest one (a diagonal shortcut would skip a negative cell)
        np.testing.assert_array_equal(np.stack([text, time]), path)


def random_costs(rng):
    """Random matrices of several shapes, including exact ties and near ties below float32 precision."""
    for trial in range(32):
        n_tokens = int(rng.integers(1, 60))
        n_frames = int(rng.integers(1, 400))
        if trial % 4 == 0:
            yield rng.integers(0, 3, (n_tokens, n_frames)).astype(np.float64)
        elif trial % 4 == 1:
            yield np.zeros((n_tokens, n_frames))
        elif trial % 4 == 2:
            # sums that only differ by less than a float32 ulp: the compiled reference keeps
            # float64 costs, so a float32 accumulator would break these ties differently
            coarse = rng.choice([-1.0, -0.75, 0.0, 0.5, 1.0], (n_tokens, n_frames))
            yield coarse + rng.choice([0.0, 2.2e-8, -1.3e-7], (n_tokens, n_frames))
        else:
            yield rng.standard_normal((n_tokens, n_frames)).astype(np.float32).astype(np.float64)


def test_numba_equals_openai_dtw_cpu_including_ties():
    rng = np.random.default_rng(0)
    for cost in random_costs(rng):
        expected = dtw_cpu(cost.copy())  # float64 values, some not representable in float32
        text, time = dtw_numba(cost)
        np.testing.assert_array_equal(text, expected[0])
        np.testing.assert_array_equal(time, expected[1])


def test_float32_input_takes_the_same_path_as_whisper_double():
    rng = np.random.default_rng(1)
    cost = rng.standard_normal((40, 300)).astype(np.float32)
    expected = dtw_cpu(cost.astype(np.float64))
    text, time = dtw_numba(cost)
    np.testing.assert_array_equal(text, expected[0])
    np.testing.assert_array_equal(time, expected[1])


def test_dtw_path_shape():
    text, time = dtw_numba(np.zeros((3, 7)))
    assert text.dtype == np.int64 and time.dtype == np.int64
    assert (text[0], time[0]) == (0, 0) and (text[-1], time[-1]) == (2, 6)
    assert np.all(np.diff(text) >= 0) and np.all(np.diff(time) >= 0)


@pytest.mark.parametrize("shape", [(5,), (0, 4), (3, 0), (2, 2, 2)])
def test_dtw_rejects_bad_shapes(shape):
    with pytest.raises(AlignmentError, match="DTW needs"):
        dtw_numba(np.zeros(shape))


@pytest.mark.parametrize("width", [1, 3, 5, 7, 9])
@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 11, 200])
def test_median_filter_equals_openai(width, length):
    rng = np.random.default_rng(width * 1000 + length)
    x = rng.standard_normal((2, 3, length)).astype(np.float32)
    expected = reference_median_filter(torch.from_numpy(x), width).numpy()
    np.testing.assert_array_equal(median_filter(x, width), expected)
    np.testing.assert_array_equal(median_filter(torch.from_numpy(x), width).numpy(), expected)


def test_median_filter_with_ties_inf_and_nan():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, (4, 60)).astype(np.float32)
    x[0, 5] = np.inf
    x[1, 10] = -np.inf
    x[2, 20:23] = np.nan
    expected = reference_median_filter(torch.from_numpy(x), 7).numpy()
    np.testing.assert_array_equal(median_filter(x, 7), expected)


def test_median_filter_one_dimensional_and_identity():
    x = np.arange(10, dtype=np.float32)[::-1].copy()
    expected = reference_median_filter(torch.from_numpy(x), 5).numpy()
    np.testing.assert_array_equal(median_filter(x, 5), expected)
    assert median_filter(x, 1) is x


@pytest.mark.parametrize("width", [0, -3, 2, 8, 2.0])
def test_median_filter_rejects_bad_width(width):
    with pytest.raises(AlignmentError, match="odd"):
        median_filter(np.zeros((2, 10)), width)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cuda_cost_matrix_takes_the_same_path():
    rng = np.random.default_rng(3)
    cost = rng.standard_normal((60, 700))
    text, time = dtw_numba(torch.from_numpy(cost).cuda())
    expected = dtw_numba(cost)
    np.testing.assert_array_equal(text, expected[0])
    np.testing.assert_array_equal(time, expected[1])
