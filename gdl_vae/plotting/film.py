"""Training as a film: the same codes decoded as training goes on, as a GIF.

The TensorFlow "Convolutional VAE" tutorial shows a model learning by decoding
one fixed set of codes after every epoch. `TrainingFilm` is that animation as a
Keras callback for any model of the kit: fixed codes z (new images: a VAE's
samples from the prior) or fixed images x (their reconstructions: an
autoencoder, whose codes mean nothing before training). Frame 0 is the
untrained decoder (or the resumed one); the others come `per_epoch` times an
epoch.

    film = TrainingFilm(z=vae.latent_samples(16, seed=0), per_epoch=4)
    vae.fit(train, epochs=4, callbacks=[film])
    IPython.display.Image(data=film.gif(), format="gif")  # or film.save("a.gif")
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageDraw

from gdl_vae.plotting.figure import label_font

LABEL_HEIGHT = 22  # pixels above each frame for its label


def frame_image(
    images: np.ndarray, label: str, columns: int | None = None, scale: int = 3
) -> np.ndarray:
    """One frame: the images in [0, 1] tiled in a grid (white ink on black, as
    the kit's figures draw digits), enlarged `scale` times, under a label; uint8
    greyscale, (height, width)."""
    images = np.asarray(images, np.float32)
    if images.ndim == 4:
        images = images.mean(axis=-1)  # channels: greyscale (MNIST has one)
    if images.ndim != 3 or not len(images):
        raise ValueError(
            f"images must be (N, height, width[, channels]); got {images.shape}"
        )
    n, h, w = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    gap = 1
    grid = np.ones(((h + gap) * rows + gap, (w + gap) * columns + gap), np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top, left = gap + r * (h + gap), gap + c * (w + gap)
        grid[top : top + h, left : left + w] = np.clip(image, 0, 1)  # white ink
    grid = np.kron(grid, np.ones((scale, scale), np.float32))
    picture = Image.new("L", (grid.shape[1], grid.shape[0] + LABEL_HEIGHT), 255)
    picture.paste(
        Image.fromarray(np.round(grid * 255).astype(np.uint8)), (0, LABEL_HEIGHT)
    )
    ImageDraw.Draw(picture).text((4, 2), label, fill=0, font=label_font(16))
    return np.asarray(picture)


class TrainingFilm(keras.callbacks.Callback):
    """Decode the same codes z (or reconstruct the same images x) `per_epoch`
    times an epoch, and once before training; gif() or save() makes the film.

    frames: the (epochs trained, uint8 frame) pairs recorded so far. A second
    fit() with the same callback goes on with the same film.
    """

    def __init__(
        self,
        z: np.ndarray | None = None,
        x: np.ndarray | None = None,
        per_epoch: int = 1,
        columns: int | None = None,
        scale: int = 3,
    ):
        super().__init__()
        if (z is None) == (x is None):
            raise ValueError(
                "give z (codes to decode: a VAE's prior samples) or x (images to "
                "reconstruct), not both and not neither."
            )
        if not (isinstance(per_epoch, int) and per_epoch >= 1):
            raise ValueError(f"per_epoch must be a whole number >= 1; got {per_epoch}.")
        self.z = None if z is None else np.asarray(z, np.float32)
        self.x = None if x is None else np.asarray(x, np.float32)
        self.per_epoch, self.columns, self.scale = per_epoch, columns, scale
        self.frames: list[tuple[float, np.ndarray]] = []

    def images(self) -> np.ndarray:
        """What the model makes of the film's codes or images now."""
        if self.z is not None:
            return self.model.decode_mean(self.z)
        return self.model.reconstruct(self.x)

    def record(self, epochs: float) -> None:
        label = f"epoch {epochs:.2f}".rstrip("0").rstrip(".")
        frame = frame_image(self.images(), label, self.columns, self.scale)
        self.frames.append((epochs, frame))

    def on_train_begin(self, logs=None):
        self.steps = self.params.get("steps")  # per epoch; None if unknown

    def on_epoch_begin(self, epoch, logs=None):
        if not self.frames:  # the model before this film's first epoch
            self.record(float(epoch))
        self.epoch, self.next_frame = epoch, 1

    def on_train_batch_end(self, batch, logs=None):
        # Called every steps_per_execution steps: a frame once its share is done.
        if self.steps and self.next_frame < self.per_epoch:
            done = (batch + 1) / self.steps
            if self.next_frame / self.per_epoch <= done < 1:  # the end: epoch_end
                self.record(self.epoch + done)
                self.next_frame = int(done * self.per_epoch) + 1

    def on_epoch_end(self, epoch, logs=None):
        self.record(float(epoch + 1))

    def gif(
        self, seconds_per_frame: float = 0.3, hold_last: float = 2.0, greys: int = 16
    ) -> bytes:
        """The film as an animated GIF that loops, its last frame held longer.

        Every frame is rounded to `greys` evenly spaced grey levels: GIF's
        compression thrives on few colours (notebook 02's 17 frames take 192 KB
        with 16 greys, 555 KB with all 256) and blurry digits lose nothing
        visible."""
        if not self.frames:
            raise ValueError("no frames yet: pass this callback to fit() first.")
        if not (isinstance(greys, int) and 2 <= greys <= 256):
            raise ValueError(f"greys must be a whole number in [2, 256]; got {greys}.")
        step = 255 / (greys - 1)
        pictures = [
            Image.fromarray((np.round(frame / step) * step).round().astype(np.uint8))
            for _, frame in self.frames
        ]
        durations = [round(1000 * seconds_per_frame)] * len(pictures)
        durations[-1] = round(1000 * hold_last)
        buffer = io.BytesIO()
        pictures[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=durations,
            loop=0,
        )
        return buffer.getvalue()

    def save(self, path: str | os.PathLike, **timing) -> Path:
        """Write gif(**timing) to path; returns the path."""
        path = Path(path)
        path.write_bytes(self.gif(**timing))
        return path
