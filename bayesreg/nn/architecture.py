"""A multilayer perceptron with one output: its parameters, forward pass and symmetries.

The network with hidden layers of widths ``h_1, ..., h_L`` maps an input row ``x``
(``p`` features) to

``z_0 = x``,   ``z_l = phi(z_{l-1} W_l + b_l)`` for ``l = 1..L``,
``f(x; theta) = z_L w_out + b_out``,

with ``W_l`` of shape ``(h_{l-1}, h_l)`` (``h_0 = p``), ``w_out`` of shape ``(h_L,)``
and the activation ``phi`` (tanh, ReLU, logistic or the identity).  With no hidden
layer it is the linear model ``x w_out + b_out``.  The *weights* are the entries of
the ``W_l`` and ``w_out`` (a prior's job); the *biases* are the ``b_l`` and ``b_out``.

Symmetries.  Many parameters give the same function, so a posterior over ``theta`` has
as many equivalent modes:

* permuting the units of a hidden layer (columns of ``W_l`` and entries of ``b_l``
  together with the rows of the next layer's weights): ``h_l!`` ways per layer;
* for an odd activation (tanh, the identity) flipping the sign of a unit's incoming
  weights, bias and outgoing weights: ``2^{h_l}`` ways;
* for ReLU (and the identity) scaling a unit's incoming weights and bias by ``c > 0``
  and its outgoing weights by ``1 / c`` (a prior breaks this tie, but not the others).

:func:`canonical_parameters` maps every parameter to one representative of its class
under the first two (sign and order), which is what makes per-weight summaries and
R-hat meaningful for draws from different modes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Architecture",
    "Parameters",
    "canonical_parameters",
]

Activation = Literal["tanh", "relu", "logistic", "identity"]

ACTIVATIONS: dict[str, Callable] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "logistic": jax.nn.sigmoid,
    "identity": lambda z: z,
}
#: Activations with ``phi(-z) = -phi(z)``: a unit's sign can be flipped.
_ODD = frozenset({"tanh", "identity"})


@dataclasses.dataclass(frozen=True)
class Parameters:
    """The weights and biases of a network, layer by layer (a JAX pytree).

    Attributes
    ----------
    weights : tuple of arrays
        ``W_1, ..., W_L, w_out``: shapes ``(h_{l-1}, h_l)`` and ``(h_L,)``, with any
        leading batch dimensions (chains, draws).
    biases : tuple of arrays
        ``b_1, ..., b_L, b_out``: shapes ``(h_l,)`` and ``()``, same leading dimensions.
    """

    weights: tuple
    biases: tuple

    def to_numpy(self) -> Parameters:
        return Parameters(
            tuple(np.asarray(w) for w in self.weights), tuple(np.asarray(b) for b in self.biases)
        )


jax.tree_util.register_pytree_node(
    Parameters,
    lambda p: ((p.weights, p.biases), None),
    lambda _, children: Parameters(*children),
)


@dataclasses.dataclass(frozen=True)
class Architecture:
    """The shape of a multilayer perceptron with one output.

    Parameters
    ----------
    n_features : int
        Inputs ``p``.
    hidden_layer_sizes : tuple of int
        Widths ``h_1, ..., h_L`` of the hidden layers; ``()`` is the linear model.
    activation : {"tanh", "relu", "logistic", "identity"}
        ``phi``, applied after every hidden layer (the output is linear).
    """

    n_features: int
    hidden_layer_sizes: tuple[int, ...]
    activation: Activation = "tanh"

    def __post_init__(self):
        sizes = tuple(int(h) for h in self.hidden_layer_sizes)
        object.__setattr__(self, "hidden_layer_sizes", sizes)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}."
            )

    # -- shapes ---------------------------------------------------------------------
    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(p, h_1, ..., h_L, 1)``."""
        return (int(self.n_features), *self.hidden_layer_sizes, 1)

    @property
    def weight_shapes(self) -> tuple[tuple[int, ...], ...]:
        sizes = self.layer_sizes
        hidden = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 2)]
        return (*hidden, (sizes[-2],))

    @property
    def bias_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (*((h,) for h in self.hidden_layer_sizes), ())

    @property
    def n_weights(self) -> int:
        return int(sum(np.prod(s) for s in self.weight_shapes))

    @property
    def n_parameters(self) -> int:
        return self.n_weights + int(sum(np.prod(s) for s in self.bias_shapes))

    @property
    def layer_names(self) -> tuple[str, ...]:
        """``("1", ..., "L", "out")``: the suffixes of the posterior's variables."""
        return (*(str(i + 1) for i in range(len(self.hidden_layer_sizes))), "out")

    # -- parameters -----------------------------------------------------------------
    def initial_parameters(self, rng: np.random.RandomState) -> Parameters:
        """Glorot-uniform weights and biases, as scikit-learn's ``MLPRegressor`` draws them.

        Every weight and bias of a layer with ``a`` inputs and ``b`` outputs is uniform
        on ``+-sqrt(k / (a + b))``, ``k = 2`` for the logistic activation and 6 otherwise
        (Glorot & Bengio, 2010).
        """
        factor = 2.0 if self.activation == "logistic" else 6.0
        sizes = self.layer_sizes
        weights, biases = [], []
        for fan_in, fan_out, shape, bias_shape in zip(
            sizes[:-1], sizes[1:], self.weight_shapes, self.bias_shapes, strict=True
        ):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(rng.uniform(-bound, bound, shape))
            biases.append(np.asarray(rng.uniform(-bound, bound, bias_shape)))
        return Parameters(tuple(weights), tuple(biases))

    def ravel(self, params: Parameters) -> jax.Array:
        """The flat vector ``theta``: each layer's weights (row-major), then the biases."""
        leaves = (*params.weights, *params.biases)
        return jnp.concatenate([jnp.ravel(jnp.asarray(a, dtype=float)) for a in leaves])

    def unravel(self, theta) -> Parameters:
        """:class:`Parameters` from the flat vector ``theta`` (the inverse of :meth:`ravel`)."""
        theta = jnp.asarray(theta)
        pieces, start = [], 0
        for shape in (*self.weight_shapes, *self.bias_shapes):
            size = int(np.prod(shape))
            pieces.append(theta[start : start + size].reshape(shape))
            start += size
        n = len(self.weight_shapes)
        return Parameters(tuple(pieces[:n]), tuple(pieces[n:]))

    def weight_mask(self) -> np.ndarray:
        """A boolean vector over ``theta``: True at weights, False at biases."""
        mask = np.zeros(self.n_parameters, dtype=bool)
        mask[: self.n_weights] = True
        return mask

    def hidden_bias_mask(self) -> np.ndarray:
        """A boolean vector over ``theta``: True at the biases of the hidden layers."""
        mask = np.zeros(self.n_parameters, dtype=bool)
        mask[self.n_weights : self.n_parameters - 1] = True
        return mask

    # -- the function ---------------------------------------------------------------
    def forward(self, params: Parameters, X) -> jax.Array:
        """``f(x_i; theta)`` for every row of ``X`` (shape ``(n,)``).

        ``params`` must be unbatched; map over draws with :func:`jax.vmap`.
        """
        phi = ACTIVATIONS[self.activation]
        z = jnp.asarray(X)
        for W, b in zip(params.weights[:-1], params.biases[:-1], strict=True):
            z = phi(z @ W + b)
        return z @ params.weights[-1] + params.biases[-1]


def canonical_parameters(architecture: Architecture, params: Parameters) -> Parameters:
    """One representative of the parameters' class under sign flips and permutations.

    Layer by layer, from the first hidden layer: for an odd activation each unit's sign
    is chosen so that the largest in magnitude of its incoming weights and bias
    ``(W_{.j}, b_j)`` is >= 0 (incoming weights, bias and outgoing weights flipped
    together; for one input and a unit that switches inside ``|x| < 1`` that is the sign
    of ``W_j``, which unlike the sign of ``b_j`` does not jump for a unit centred near
    0); then the units are sorted by ``-b_j / ||W_{.j}||``, the
    signed offset of the unit's hyperplane ``x W_{.j} + b_j = 0`` from the origin (for
    one input, minus the place where the unit switches).  The network computes the same
    function, and two parameters related by sign flips and permutations map to the same
    representative unless two units tie.

    Parameters
    ----------
    architecture : Architecture
    params : Parameters
        Arrays with any leading batch dimensions (chains, draws); numpy or JAX.

    Returns
    -------
    Parameters
        numpy arrays of the same shapes.
    """
    weights = [np.array(w, dtype=float) for w in params.weights]
    biases = [np.array(b, dtype=float) for b in params.biases]
    odd = architecture.activation in _ODD
    for layer in range(len(architecture.hidden_layer_sizes)):
        W, b, W_next = weights[layer], biases[layer], weights[layer + 1]
        next_is_output = layer + 1 == len(weights) - 1
        if odd:
            incoming = np.concatenate([W, b[..., None, :]], axis=-2)  # (..., fan_in + 1, h)
            largest = np.take_along_axis(
                incoming, np.argmax(np.abs(incoming), axis=-2)[..., None, :], axis=-2
            )[..., 0, :]
            sign = np.where(largest < 0, -1.0, 1.0)  # (..., h)
            W = W * sign[..., None, :]
            b = b * sign
            W_next = W_next * (sign if next_is_output else sign[..., :, None])
        norm = np.sqrt(np.sum(W * W, axis=-2))
        offset = -b / np.where(norm > 0, norm, 1.0)
        order = np.argsort(offset, axis=-1, kind="stable")  # (..., h)
        W = np.take_along_axis(W, order[..., None, :], axis=-1)
        b = np.take_along_axis(b, order, axis=-1)
        W_next = np.take_along_axis(
            W_next, order if next_is_output else order[..., :, None], axis=-2 + next_is_output
        )
        weights[layer], biases[layer], weights[layer + 1] = W, b, W_next
    return Parameters(tuple(weights), tuple(biases))


def check_hidden_layer_sizes(hidden_layer_sizes: Sequence[int]) -> tuple[int, ...]:
    """Validate the widths: a sequence of positive integers (empty for a linear model)."""
    if isinstance(hidden_layer_sizes, int | np.integer) and not isinstance(
        hidden_layer_sizes, bool
    ):
        hidden_layer_sizes = (hidden_layer_sizes,)
    try:
        sizes = tuple(hidden_layer_sizes)
    except TypeError:
        raise TypeError(
            "hidden_layer_sizes must be a tuple of positive integers, e.g. (10,) for one "
            f"hidden layer of 10 units, got {hidden_layer_sizes!r}."
        ) from None
    for h in sizes:
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers, e.g. (10,) for one "
                f"hidden layer of 10 units, got {hidden_layer_sizes!r}."
            )
    return tuple(int(h) for h in sizes)
