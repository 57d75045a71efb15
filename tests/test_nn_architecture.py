"""The multilayer perceptron of ``bayesreg.nn.architecture``, checked by independent code.

* the forward pass equals a plain numpy forward pass written here;
* the flat parameter vector has the documented layout, and ``unravel`` inverts ``ravel``;
* the masks and counts equal their formulas, and the Glorot start is scikit-learn's own,
  draw for draw;
* ``canonical_parameters`` keeps the function, removes exactly the sign-flip and
  permutation symmetries, is idempotent and works batched;
* ``check_hidden_layer_sizes`` rejects bad widths with a clear error.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _hostile import assert_clear_error
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

from bayesreg.nn.architecture import (
    Architecture,
    Parameters,
    canonical_parameters,
    check_hidden_layer_sizes,
)

ACTIVATIONS = ("tanh", "relu", "logistic", "identity")
NUMPY_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "identity": lambda z: z,
}
SETTINGS = settings(max_examples=25, deadline=None)

widths = st.lists(st.integers(1, 5), min_size=0, max_size=2).map(tuple)
activations = st.sampled_from(ACTIVATIONS)
seeds = st.integers(0, 2**31 - 1)


def random_parameters(architecture: Architecture, rng, batch=()) -> Parameters:
    """Standard normal weights and biases (continuous: no ties, no zero biases)."""
    weights = tuple(rng.standard_normal((*batch, *s)) for s in architecture.weight_shapes)
    biases = tuple(rng.standard_normal((*batch, *s)) for s in architecture.bias_shapes)
    return Parameters(weights, biases)


def numpy_forward(activation: str, params: Parameters, X: np.ndarray) -> np.ndarray:
    """The network written out by hand: z_l = phi(z_{l-1} W_l + b_l), f = z_L w + b."""
    phi = NUMPY_ACTIVATIONS[activation]
    z = np.asarray(X, dtype=float)
    for W, b in zip(params.weights[:-1], params.biases[:-1], strict=True):
        z = phi(z @ np.asarray(W) + np.asarray(b))
    return z @ np.asarray(params.weights[-1]) + float(params.biases[-1])


# -- forward pass, layout, counts ------------------------------------------------------
@SETTINGS
@given(n_features=st.integers(1, 4), sizes=widths, activation=activations, seed=seeds)
def test_forward_equals_an_independent_numpy_forward_pass(n_features, sizes, activation, seed):
    rng = np.random.default_rng(seed)
    architecture = Architecture(n_features, sizes, activation)
    params = random_parameters(architecture, rng)
    X = rng.standard_normal((7, n_features))
    # Rounding only: the same float64 operations in another order.
    np.testing.assert_allclose(
        np.asarray(architecture.forward(params, X)),
        numpy_forward(activation, params, X),
        rtol=1e-12,
        atol=1e-12,
    )


@SETTINGS
@given(n_features=st.integers(1, 4), sizes=widths, activation=activations, seed=seeds)
def test_flat_layout_counts_and_masks_equal_their_formulas(n_features, sizes, activation, seed):
    rng = np.random.default_rng(seed)
    architecture = Architecture(n_features, sizes, activation)
    fans = list(zip((n_features, *sizes), (*sizes, 1), strict=True))
    n_weights = sum(a * b for a, b in fans)
    n_hidden_bias = sum(sizes)
    assert architecture.n_weights == n_weights
    assert architecture.n_parameters == n_weights + n_hidden_bias + 1
    assert architecture.weight_mask().sum() == n_weights
    assert architecture.hidden_bias_mask().sum() == n_hidden_bias
    assert not np.any(architecture.weight_mask() & architecture.hidden_bias_mask())
    # The output bias is the last entry and is in neither mask.
    assert not architecture.weight_mask()[-1] and not architecture.hidden_bias_mask()[-1]

    params = random_parameters(architecture, rng)
    theta = np.asarray(architecture.ravel(params))
    # Documented layout: each layer's weights row-major, then hidden biases, output bias.
    expected = np.concatenate(
        [np.ravel(W) for W in params.weights] + [np.ravel(b) for b in params.biases]
    )
    np.testing.assert_array_equal(theta, expected)
    np.testing.assert_array_equal(theta[architecture.weight_mask()], expected[:n_weights])
    back = architecture.unravel(theta)
    for a, b in zip((*back.weights, *back.biases), (*params.weights, *params.biases), strict=True):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(np.asarray(a), b)
    np.testing.assert_array_equal(np.asarray(architecture.ravel(back)), theta)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", [(), (3,), (4, 2)])
def test_initial_parameters_are_scikit_learns_draws(activation, sizes):
    # Same RandomState, same order of draws (each layer's weights, then its biases) and
    # the same bound sqrt(k / (fan_in + fan_out)), k = 2 (logistic) or 6: the same numbers.
    n_features = 3
    architecture = Architecture(n_features, sizes, activation)
    ours = architecture.initial_parameters(np.random.RandomState(7))
    sk = SklearnMLPRegressor(hidden_layer_sizes=sizes, activation=activation)
    sk._random_state = np.random.RandomState(7)
    layer_sizes = (n_features, *sizes, 1)
    factor = 2.0 if activation == "logistic" else 6.0
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(layer_sizes)):
        W_sk, b_sk = sk._init_coef(fan_in, fan_out, np.float64)
        W, b = np.asarray(ours.weights[i]), np.asarray(ours.biases[i])
        np.testing.assert_array_equal(W.reshape(W_sk.shape), W_sk)
        np.testing.assert_array_equal(np.reshape(b, b_sk.shape), b_sk)
        bound = math.sqrt(factor / (fan_in + fan_out))
        assert np.all(np.abs(W) <= bound) and np.all(np.abs(b) <= bound)
    assert ours.weights[-1].shape == (layer_sizes[-2],) and np.shape(ours.biases[-1]) == ()


# -- canonical parameters ----------------------------------------------------------------
def relabel(architecture: Architecture, params: Parameters, rng, flip: bool) -> Parameters:
    """Permute every hidden layer's units and, if ``flip``, flip random units' signs.

    Unit ``j`` of layer ``l`` is column ``j`` of ``W_l``, entry ``j`` of ``b_l`` and row
    ``j`` of the next layer's weights; a flip negates all three (tanh is odd).
    """
    weights = [np.array(w) for w in params.weights]
    biases = [np.array(b) for b in params.biases]
    for layer, h in enumerate(architecture.hidden_layer_sizes):
        sign = rng.choice([-1.0, 1.0], size=h) if flip else np.ones(h)
        order = rng.permutation(h)
        weights[layer] = (weights[layer] * sign)[:, order]
        biases[layer] = (biases[layer] * sign)[order]
        nxt = weights[layer + 1]
        weights[layer + 1] = (nxt.T * sign).T[order]
    return Parameters(tuple(weights), tuple(biases))


def assert_same_parameters(a: Parameters, b: Parameters, **tol) -> None:
    for x, y in zip((*a.weights, *a.biases), (*b.weights, *b.biases), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tol)


@SETTINGS
@given(n_features=st.integers(1, 3), sizes=widths, activation=activations, seed=seeds)
def test_canonical_parameters_compute_the_same_function(n_features, sizes, activation, seed):
    rng = np.random.default_rng(seed)
    architecture = Architecture(n_features, sizes, activation)
    params = random_parameters(architecture, rng)
    canonical = canonical_parameters(architecture, params)
    X = rng.standard_normal((9, n_features))
    np.testing.assert_allclose(
        numpy_forward(activation, canonical, X),
        numpy_forward(activation, params, X),
        rtol=1e-12,
        atol=1e-12,
    )
    if sizes and activation in ("tanh", "identity"):
        # The sign convention: each unit's largest-magnitude incoming weight or bias >= 0.
        for W, b in zip(canonical.weights[:-1], canonical.biases[:-1], strict=True):
            incoming = np.vstack([W, b[None, :]])
            largest = incoming[np.argmax(np.abs(incoming), axis=0), np.arange(b.size)]
            assert np.all(largest >= 0)


@SETTINGS
@given(n_features=st.integers(1, 3), sizes=widths, activation=activations, seed=seeds)
def test_canonical_parameters_remove_permutations_and_sign_flips(
    n_features, sizes, activation, seed
):
    # Two parameters related by a relabelling of hidden units (and, for an odd
    # activation, sign flips) have the same representative.  The entries are moved and
    # negated, never computed, so the representatives agree exactly unless two units'
    # offsets tie to rounding (probability 0 for continuous draws).
    rng = np.random.default_rng(seed)
    architecture = Architecture(n_features, sizes, activation)
    params = random_parameters(architecture, rng)
    odd = activation in ("tanh", "identity")
    relabelled = relabel(architecture, params, rng, flip=odd)
    assert_same_parameters(
        canonical_parameters(architecture, relabelled),
        canonical_parameters(architecture, params),
        rtol=0,
        atol=0,
    )


@SETTINGS
@given(n_features=st.integers(1, 3), sizes=widths, activation=activations, seed=seeds)
def test_canonical_parameters_are_idempotent(n_features, sizes, activation, seed):
    rng = np.random.default_rng(seed)
    architecture = Architecture(n_features, sizes, activation)
    once = canonical_parameters(architecture, random_parameters(architecture, rng))
    assert_same_parameters(canonical_parameters(architecture, once), once, rtol=0, atol=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", [(), (4,), (3, 5)])
def test_canonical_parameters_batched_equal_per_draw(activation, sizes):
    rng = np.random.default_rng(11)
    architecture = Architecture(2, sizes, activation)
    batch = random_parameters(architecture, rng, batch=(3, 4))  # (chain, draw)
    canonical = canonical_parameters(architecture, batch)
    for c in range(3):
        for d in range(4):
            draw = Parameters(
                tuple(w[c, d] for w in batch.weights), tuple(b[c, d] for b in batch.biases)
            )
            one = canonical_parameters(architecture, draw)
            for x, y in zip(
                (*canonical.weights, *canonical.biases), (*one.weights, *one.biases), strict=True
            ):
                np.testing.assert_array_equal(x[c, d], y)


def test_canonical_relu_units_keep_their_sign():
    # ReLU is not odd: relu(-z) != -relu(z), so flipping a unit would change the
    # function.  Canonicalisation may only reorder; negative biases stay negative.
    rng = np.random.default_rng(3)
    architecture = Architecture(2, (6,), "relu")
    params = random_parameters(architecture, rng)
    b = np.array([-2.0, 1.0, -0.5, 0.3, -1.2, 2.2])
    params = Parameters(params.weights, (b, params.biases[1]))
    canonical = canonical_parameters(architecture, params)
    np.testing.assert_array_equal(np.sort(canonical.biases[0]), np.sort(b))
    assert np.sum(canonical.biases[0] < 0) == 3
    # Each unit moves whole: (column of W_1, bias, outgoing weight) triples are kept.
    triples = {
        (tuple(np.asarray(params.weights[0])[:, j]), b[j], params.weights[1][j]) for j in range(6)
    }
    canonical_triples = {
        (
            tuple(canonical.weights[0][:, j]),
            canonical.biases[0][j],
            canonical.weights[1][j],
        )
        for j in range(6)
    }
    assert canonical_triples == triples
    # And the order is by hyperplane offset -b_j / ||W_.j||.
    offset = -canonical.biases[0] / np.linalg.norm(canonical.weights[0], axis=0)
    assert np.all(np.diff(offset) > 0)


# -- hidden layer sizes -----------------------------------------------------------------
@pytest.mark.parametrize(
    "sizes",
    [(0,), (-3,), (10, 0), (2.0,), (1.5,), (True,), (10, False), "abc", "10", ("5",), [None]],
    ids=repr,
)
def test_check_hidden_layer_sizes_rejects_bad_widths(sizes):
    with pytest.raises((ValueError, TypeError)) as info:
        check_hidden_layer_sizes(sizes)
    assert_clear_error(info.value)
    message = str(info.value)
    assert "hidden_layer_sizes" in message and "positive integers" in message
    assert repr(sizes) in message  # the user sees what they gave


@pytest.mark.parametrize("sizes", [None, 3.5, object()], ids=["None", "3.5", "object"])
def test_check_hidden_layer_sizes_rejects_non_sequences(sizes):
    with pytest.raises((ValueError, TypeError)) as info:
        check_hidden_layer_sizes(sizes)
    assert_clear_error(info.value)
    assert "hidden_layer_sizes" in str(info.value)


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [((), ()), ((10,), (10,)), ([4, 3], (4, 3)), (5, (5,)), (np.int64(2), (2,))],
    ids=repr,
)
def test_check_hidden_layer_sizes_accepts_positive_integers(sizes, expected):
    result = check_hidden_layer_sizes(sizes)
    assert result == expected
    assert all(type(h) is int for h in result)
