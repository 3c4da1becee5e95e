"""TrainingFilm: fixed codes decoded (or fixed images reconstructed) as training
goes on, frame by frame, and the GIF made of them."""

import io

import keras
import numpy as np
import pytest
from PIL import Image

import gdl_vae
from gdl_vae.plotting.film import LABEL_HEIGHT, frame_image


def test_a_frame_tiles_the_images_under_its_label():
    images = np.zeros((5, 28, 28, 1), np.float32)
    images[2] = 1.0  # one all-ink image
    frame = frame_image(images, "epoch 1", columns=3, scale=2)
    assert frame.dtype == np.uint8
    assert frame.shape == (LABEL_HEIGHT + (2 * 29 + 1) * 2, (3 * 29 + 1) * 2)
    tiles = frame[LABEL_HEIGHT:]

    def pixel(row: int, column: int) -> int:  # inside that tile
        return tiles[(1 + row * 29) * 2 + 10, (1 + column * 29) * 2 + 10]

    # white ink on black: image 2 (row 0, column 2) is white, images 0 and 3 black
    assert (pixel(0, 2), pixel(0, 0), pixel(1, 0)) == (255, 0, 0)
    assert tiles[0, 0] == 255  # the gaps between tiles are white
    assert (frame[:LABEL_HEIGHT] < 128).any()  # the label is drawn
    with pytest.raises(ValueError, match="images must be"):
        frame_image(np.zeros((28, 28)), "x")


def test_the_film_needs_codes_or_images():
    with pytest.raises(ValueError, match="give z"):
        gdl_vae.TrainingFilm()
    with pytest.raises(ValueError, match="give z"):
        gdl_vae.TrainingFilm(z=np.zeros((2, 2)), x=np.zeros((2, 28, 28, 1)))
    with pytest.raises(ValueError, match="per_epoch"):
        gdl_vae.TrainingFilm(z=np.zeros((2, 2)), per_epoch=0)
    with pytest.raises(ValueError, match="no frames yet"):
        gdl_vae.TrainingFilm(z=np.zeros((2, 2))).gif()


def test_the_film_records_the_same_codes_through_training(binary):
    keras.utils.set_random_seed(3)
    vae = gdl_vae.build_vae(2, "dense", seed=0, steps_per_execution=1)
    z = vae.latent_samples(6, seed=1)
    untrained = frame_image(vae.decode_mean(z), "epoch 0")
    film = gdl_vae.TrainingFilm(z=z, per_epoch=2)
    vae.fit(binary[0][:800], epochs=2, batch_size=100, verbose=0, callbacks=[film])
    assert [epochs for epochs, _ in film.frames] == [0.0, 0.5, 1.0, 1.5, 2.0]
    np.testing.assert_array_equal(film.frames[0][1], untrained)
    last = frame_image(vae.decode_mean(z), "epoch 2")
    np.testing.assert_array_equal(film.frames[-1][1], last)
    # training changes what the same codes decode to
    assert np.abs(film.frames[1][1].astype(int) - untrained).mean() > 1.0
    # a second fit goes on with the same film
    vae.fit(
        binary[0][:800], initial_epoch=2, epochs=3, batch_size=100, verbose=0,
        callbacks=[film],
    )  # fmt: skip
    assert [epochs for epochs, _ in film.frames][-2:] == [2.5, 3.0]
    gif = Image.open(io.BytesIO(film.gif(seconds_per_frame=0.1, hold_last=1.0)))
    assert gif.format == "GIF" and gif.n_frames == 7
    assert gif.info["loop"] == 0
    # each frame rounded to 16 evenly spaced greys, the default
    gif.seek(6)
    last = np.asarray(gif.convert("L"))
    levels = np.unique(last)
    assert 2 < len(levels) <= 16
    np.testing.assert_array_equal(levels % 17, 0)  # 255 / 15 = 17
    np.testing.assert_array_less(
        np.abs(last.astype(int) - film.frames[-1][1]), 17 / 2 + 1
    )
    smaller = film.gif(greys=4)
    assert len(np.unique(np.asarray(Image.open(io.BytesIO(smaller)).convert("L")))) <= 4
    assert len(smaller) < len(film.gif(greys=256))
    with pytest.raises(ValueError, match="greys"):
        film.gif(greys=1)


def test_an_autoencoder_film_reconstructs_fixed_images(binary, tmp_path):
    keras.utils.set_random_seed(4)
    ae = gdl_vae.build_autoencoder(2, "dense")
    x = binary[1][:4]
    film = gdl_vae.TrainingFilm(x=x)
    ae.fit(binary[0][:400], epochs=2, batch_size=100, verbose=0, callbacks=[film])
    assert [epochs for epochs, _ in film.frames] == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(
        film.frames[-1][1], frame_image(ae.reconstruct(x), "epoch 2")
    )
    path = film.save(tmp_path / "film.gif")
    assert Image.open(path).n_frames == 3
