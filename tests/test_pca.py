"""PCA, principal angles, and the linear autoencoder of notebook 05."""

import keras
import numpy as np
import pytest

import gdl_vae
from gdl_vae.measure import pca


def _low_rank(n=400, d=30, k=3, seed=0):
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, k)))
    scales = np.array([5.0, 3.0, 2.0])[:k]
    x = rng.normal(size=(n, k)) * scales @ basis.T + 0.01 * rng.normal(size=(n, d))
    return x + 0.3, basis


def test_pca_finds_the_subspace_and_its_error_is_the_discarded_variance():
    x, basis = _low_rank()
    fitted = pca.fit(x, 3)
    np.testing.assert_allclose(
        fitted.components @ fitted.components.T, np.eye(3), atol=1e-9
    )
    assert pca.principal_angles(fitted.components.T, basis).max() < 1.0
    assert np.all(np.diff(fitted.variance) <= 0)
    full = pca.fit(x, 30)
    discarded = full.variance[2:].sum() * (len(x) - 1) / len(x)
    two = pca.fit(x, 2)
    assert pca.squared_error(x, two.reconstruct(x)) == pytest.approx(
        discarded, rel=1e-6
    )
    with pytest.raises(ValueError, match="k must be between 1 and 30"):
        pca.fit(x, 31)


def test_principal_angles_ignore_the_basis_and_see_orthogonality():
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(10, 3))
    mixed = basis @ rng.normal(size=(3, 3))  # another basis of the same subspace
    np.testing.assert_allclose(pca.principal_angles(basis, mixed), 0.0, atol=1e-5)
    e = np.eye(10)
    angles = pca.principal_angles(e[:, :2], e[:, 1:3])
    np.testing.assert_allclose(angles, [0.0, 90.0], atol=1e-6)
    with pytest.raises(ValueError, match="bases of the same space"):
        pca.principal_angles(e[:, :2], np.ones((9, 2)))


def test_linear_autoencoder_reaches_pca_and_spans_its_subspace(mnist):
    x = mnist.x_train[:2000]
    keras.utils.set_random_seed(0)
    model = gdl_vae.build_autoencoder(
        4, "linear", reconstruction="mse", learning_rate=1e-2
    )
    model.fit(x, batch_size=128, epochs=100, verbose=0)
    fitted = pca.fit(x, 4)
    pca_error = pca.squared_error(x, fitted.reconstruct(x))
    ae_error = pca.squared_error(x, model.reconstruct(x))
    assert pca_error <= ae_error < 1.01 * pca_error
    basis = pca.decoder_basis(model)
    assert basis.shape == (784, 4)
    angles = pca.principal_angles(basis, fitted.components.T)
    # The error converges before the subspace does: the 4th and 5th eigenvalues
    # of these images differ by 10%, so the 4th direction is the last to settle
    # (after 40 epochs: error within 0.7% of PCA's, 4th angle 50 degrees; after
    # 100: every angle under 3 degrees).
    assert angles.max() < 6.0
    random = np.random.default_rng(0).normal(size=basis.shape)
    assert pca.principal_angles(random, fitted.components.T).max() > 80.0
    mixing = pca.explained_in_basis(basis, fitted.components)
    off_diagonal = mixing - np.diag(np.diag(mixing))
    assert np.abs(off_diagonal).max() > 0.1 * np.abs(mixing).max()  # a mixture


def test_mse_autoencoder_outputs_images_directly(binary):
    model = gdl_vae.build_autoencoder(2, "linear", reconstruction="mse")
    x = binary[1][:16]
    out = model.reconstruct(x)
    raw = model.decoder(model.encoder(x)).numpy()
    np.testing.assert_allclose(out, raw, rtol=1e-6)  # no sigmoid
    loss = float(model.loss_terms(x)["reconstruction_loss"])
    assert loss == pytest.approx(pca.squared_error(x, raw), rel=1e-5)
    with pytest.raises(ValueError, match="a VAE's likelihood is Bernoulli"):
        gdl_vae.VAE(model.encoder, model.decoder, reconstruction="mse")
    with pytest.raises(ValueError, match="decoder_basis needs a linear decoder"):
        pca.decoder_basis(gdl_vae.build_autoencoder(2, "dense"))


def test_components_come_back_from_any_basis_of_the_subspace():
    x, _ = _low_rank()
    fitted = pca.fit(x, 3)
    mixed = fitted.components.T @ np.random.default_rng(2).normal(size=(3, 3))
    recovered = pca.components_from_basis(x, mixed)
    cosines = np.abs(np.sum(recovered * fitted.components, axis=1))
    np.testing.assert_allclose(cosines, 1.0, atol=1e-8)


def test_the_first_k_directions_are_the_fit_of_k(mnist):
    x = mnist.x_train[:500]
    full = pca.fit(x, 16)
    for k in (1, 4, 16):
        alone, first = pca.fit(x, k), full.first(k)
        np.testing.assert_array_equal(first.components, alone.components)
        np.testing.assert_array_equal(first.reconstruct(x), alone.reconstruct(x))
    with pytest.raises(ValueError, match="k must be from 1 to 16"):
        full.first(17)
