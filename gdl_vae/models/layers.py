"""Custom layers: the reparameterization trick."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="gdl_vae")
class Sampling(keras.layers.Layer):
    """Draw z ~ N(mean, exp(log_var)) so that gradients reach mean and log_var.

    This is the reparameterization trick (Kingma & Welling 2014).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        # Reparameterization: the randomness is an input (eps), not a node on the
        # path from mean and log_var to z, so z = mean + sigma * eps is an
        # ordinary differentiable function of both: dz/dmean = 1,
        # dz/dlog_var = 0.5 * sigma * eps.
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    # Keras does not save a SeedGenerator's state; saving it here makes a loaded
    # model draw the same eps as the original, so training resumes exactly.
    def save_own_variables(self, store) -> None:
        store["seed_state"] = self.seed_generator.state.numpy()

    def load_own_variables(self, store) -> None:
        if "seed_state" in store.keys():
            self.seed_generator.state.assign(store["seed_state"])

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}
