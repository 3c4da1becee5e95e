"""PCA, and how to compare it with a linear autoencoder (notebook 05).

A linear autoencoder trained with squared error reaches the error of PCA with
the same number of components, and its decoder spans the same subspace
(Baldi & Hornik 1989); its weight vectors are not the principal components
themselves, because the loss does not change when the code is transformed by
any invertible matrix A and the decoder by its inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCA:
    """The mean image, the top-k principal directions (rows, orthonormal) and the
    variance of the data along each."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (k, d)
    variance: np.ndarray  # (k,)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Coordinates along the principal directions, (N, k)."""
        return (_flat(x) - self.mean) @ self.components.T

    def decode(self, codes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Images back from coordinates, (N, *shape)."""
        flat = np.asarray(codes, np.float64) @ self.components + self.mean
        return flat.reshape(len(flat), *shape)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """The projection of each image onto the principal subspace."""
        return self.decode(self.encode(x), x.shape[1:])

    def first(self, k: int) -> PCA:
        """The PCA of the first k directions: what fit(x, k) gives, from one SVD
        for every k up to this one's."""
        if not 1 <= k <= len(self.components):
            raise ValueError(
                f"k must be from 1 to {len(self.components)} (this PCA's); got {k}."
            )
        return PCA(self.mean, self.components[:k], self.variance[:k])


def _flat(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1)


def fit(x: np.ndarray, k: int) -> PCA:
    """PCA of images x by the SVD of the centred data matrix."""
    flat = _flat(x)
    if not 1 <= k <= min(flat.shape):
        raise ValueError(f"k must be between 1 and {min(flat.shape)}; got {k}.")
    mean = flat.mean(axis=0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    variance = singular[:k] ** 2 / (len(flat) - 1)
    return PCA(mean, vt[:k], variance)


def squared_error(x: np.ndarray, reconstruction: np.ndarray) -> float:
    """Squared error summed over pixels, averaged over images (the "mse" loss)."""
    return float(np.mean(np.sum((_flat(x) - _flat(reconstruction)) ** 2, axis=1)))


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles in degrees between the subspaces spanned by the columns of a and b.

    Ascending; all zero when the subspaces are the same, whatever the bases.
    (Orthonormalise each basis; the singular values of Qa^T Qb are the cosines.)
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(
            f"a and b must be (d, k) bases of the same space; got {a.shape} and "
            f"{b.shape}."
        )
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))  # cosines descend


def decoder_basis(model) -> np.ndarray:
    """The columns that a linear autoencoder's decoder mixes: (d, latent_dim).

    The decoder computes x = W z + b; the columns of W span its output subspace.
    """
    dense = [layer for layer in model.decoder.layers if layer.weights]
    if len(dense) != 1:
        raise ValueError(
            "decoder_basis needs a linear decoder (one Dense layer); this one has "
            f"{len(dense)} layers with weights. Build it with architecture='linear'."
        )
    kernel = np.asarray(dense[0].kernel.numpy(), np.float64)  # (latent_dim, d)
    return kernel.T


def explained_in_basis(basis: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Coefficients C with basis ~= components.T @ C: (k, k).

    For a linear autoencoder this is the mixing matrix of the principal
    components; it is full, not diagonal, because any invertible C gives the
    same reconstructions.
    """
    return np.asarray(components, np.float64) @ np.asarray(basis, np.float64)


def components_from_basis(x: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The principal directions of x inside the subspace a basis spans, (k, d).

    Orthonormalise the basis, then run PCA on the data's coordinates in it. For
    a linear autoencoder's decoder this recovers the principal components (up to
    sign) from weights that are only a mixture of them.
    """
    q, _ = np.linalg.qr(np.asarray(basis, np.float64))  # (d, k)
    flat = _flat(x)
    coordinates = (flat - flat.mean(axis=0)) @ q
    _, _, vt = np.linalg.svd(coordinates, full_matrices=False)
    return (q @ vt.T).T
