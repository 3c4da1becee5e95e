"""Autoencoder and VAE: Keras models whose train_step and test_step share one loss.

All loss terms are in nats per example: summed over pixels (or latent
dimensions), averaged over the batch, so they compare with the literature.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae import evaluation
from gdl_vae.data import IMAGE_SHAPE, check_images
from gdl_vae.layers import Sampling
from gdl_vae.networks import build_critic, build_decoder, build_encoder

tfd = tfp.distributions
BATCH = 1000  # images per forward pass in encode / decode / reconstruct
# Training steps per call into the compiled graph: fewer Python round trips.
# The conv VAE trains 1.17x faster on 2 CPU cores (benchmarks/results.md), with
# the same updates.
STEPS_PER_EXECUTION = 32


def _steps_per_execution(requested: int | None) -> int:
    """STEPS_PER_EXECUTION, or 1 inside a tf.distribute strategy's scope.

    Keras 3 (3.15, TensorFlow 2.21) fails under MirroredStrategy with more than
    one step per execution ("You must feed a value for placeholder tensor").
    """
    if requested is not None:
        return requested
    return 1 if tf.distribute.has_strategy() else STEPS_PER_EXECUTION


class StopOnNaN(keras.callbacks.Callback):
    """Stop training with an explanation as soon as the loss is NaN or infinite."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.first_batch = batch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(np.asarray(loss))):
            self.model.stop_training = True
            # With steps_per_execution > 1, Keras reports once per run of steps.
            first = getattr(self, "first_batch", batch)
            last = min(batch, (self.params.get("steps") or batch + 1) - 1)
            where = (
                f"batch {last + 1}"
                if first >= last
                else f"batches {first + 1}-{last + 1} (compile with "
                "steps_per_execution=1 to see which)"
            )
            raise FloatingPointError(
                f"the training loss became {float(np.asarray(loss))} in epoch "
                f"{getattr(self, 'epoch', 0) + 1}, {where}; training stopped. "
                "Usual causes: a learning rate too high (try 1e-4), NaN or inf in "
                "the data (check_images finds them), or float16 overflow (try the "
                "float32 policy)."
            )


class ProgressLog(keras.callbacks.Callback):
    """One line every `every` epochs (and the last): the losses and time per epoch.

    A quiet alternative to Keras' per-batch progress bar, for notebooks and logs.
    """

    def __init__(self, every: int = 5):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be at least 1; got {every}.")
        self.every = every

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.first_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        per_epoch = (time.perf_counter() - self.start) / (epoch + 1 - self.first_epoch)
        terms = ", ".join(f"{k} {float(v):.2f}" for k, v in (logs or {}).items())
        print(
            f"epoch {epoch + 1}/{self.params.get('epochs')}: {terms} "
            f"({per_epoch:.1f} s/epoch)"
        )


class KLWarmup(keras.callbacks.Callback):
    """Anneal a VAE's beta linearly from 0 to `target` over the first `epochs`.

    KL warm-up (Bowman et al. 2016; Sonderby et al. 2016): early in training
    the KL term can shut latent units before the decoder has learned to use
    them; starting from beta = 0 lets the codes carry information first. beta
    is a variable, so changing it does not retrace the training step.
    """

    def __init__(self, epochs: int, target: float = 1.0):
        super().__init__()
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1; got {epochs}.")
        if not target >= 0:
            raise ValueError(f"target must be >= 0; got {target}.")
        self.epochs, self.target = epochs, target

    def beta_at(self, epoch: int) -> float:
        """The beta used during `epoch` (counted from 0)."""
        return self.target * min(1.0, epoch / self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.beta.assign(self.beta_at(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = self.beta_at(epoch)


def _images(data):
    """The image batch from whatever fit/evaluate passes to train_step."""
    return data[0] if isinstance(data, (tuple, list)) else data


def _check_fit_input(x, image_shape, name: str) -> None:
    if isinstance(x, (tuple, list)) and x:
        x = x[0]
    if isinstance(x, np.ndarray) or (tf.is_tensor(x) and hasattr(x, "numpy")):
        check_images(x, image_shape, name)


RECONSTRUCTIONS = ("bernoulli", "mse")


class _LatentModel(keras.Model):
    """Shared machinery: an encoder, a decoder, and one loss for train and test."""

    loss_names: tuple[str, ...] = ("loss",)

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        reconstruction: str = "bernoulli",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(
                f"reconstruction must be one of {', '.join(RECONSTRUCTIONS)}; got "
                f"{reconstruction!r}."
            )
        self.reconstruction = reconstruction
        self.encoder = encoder
        self.decoder = decoder
        self.trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.built = True  # encoder and decoder are built functional models

    @property
    def metrics(self):
        return self.trackers

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.encoder.input_shape[1:])

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.input_shape[-1])

    def likelihood(self, logits) -> tfd.Distribution:
        """p(x|z): independent Bernoulli pixels with the decoder's logits."""
        return tfd.Independent(
            tfd.Bernoulli(logits=logits, dtype=tf.float32),
            reinterpreted_batch_ndims=len(self.image_shape),
        )

    def reconstruction_loss(self, x, output):
        """Per image, averaged over the batch: -log p(x|z) in nats (Bernoulli,
        from logits), or the squared error summed over pixels ("mse")."""
        if self.reconstruction == "mse":
            error = ops.reshape(ops.square(x - output), (ops.shape(x)[0], -1))
            return ops.mean(ops.sum(error, axis=-1))
        return -ops.mean(self.likelihood(output).log_prob(x))

    def mean_image(self, output):
        """The decoder's output as an image: sigmoid of logits, or itself ("mse")."""
        return output if self.reconstruction == "mse" else ops.sigmoid(output)

    def loss_terms(self, x, training: bool = False) -> dict:
        """{"loss": ..., and one entry per term}, each a scalar in nats."""
        raise NotImplementedError

    def train_step(self, data):
        x = _images(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, training=True)
            # Under tf.distribute each replica sees part of the global batch and
            # the replicas' gradients are summed: divide to average them.
            loss = terms["loss"] / tf.distribute.get_strategy().num_replicas_in_sync
            loss = self.optimizer.scale_loss(loss)  # loss scaling for float16
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(
            zip(gradients, self.trainable_weights, strict=True)
        )
        return self._record(terms)

    def test_step(self, data):
        return self._record(self.loss_terms(_images(data), training=False))

    def _record(self, terms: dict) -> dict:
        for tracker in self.trackers:
            tracker.update_state(terms[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.trackers}

    def fit(self, x=None, *args, validation_data=None, callbacks=None, **kwargs):
        _check_fit_input(x, self.image_shape, "x")
        _check_fit_input(validation_data, self.image_shape, "validation_data")
        callbacks = [*(callbacks or []), StopOnNaN()]
        # A tf.data pipeline shuffles itself (make_dataset does).
        kwargs.setdefault("shuffle", not isinstance(x, tf.data.Dataset))
        return super().fit(
            x, *args, validation_data=validation_data, callbacks=callbacks, **kwargs
        )

    def evaluate(self, x=None, *args, **kwargs):
        _check_fit_input(x, self.image_shape, "x")
        return super().evaluate(x, *args, **kwargs)

    def _batched(self, fn, x, batch_size: int = BATCH):
        """Apply fn to x in slices and concatenate (bounded memory)."""
        parts = [fn(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        if isinstance(parts[0], (tuple, list)):
            return [ops.concatenate(p, axis=0) for p in zip(*parts, strict=True)]
        return ops.concatenate(parts, axis=0)

    def codes(self, x) -> np.ndarray:
        """One latent point per image, shape (N, latent_dim); a VAE's posterior mean."""
        raise NotImplementedError

    def decode_mean(self, z) -> np.ndarray:
        """The decoder's mean image for each z: pixels in [0, 1], (N, *image_shape)."""
        z = self._check_latent(z)
        return ops.convert_to_numpy(self.mean_image(self._batched(self.decoder, z)))

    def reconstruct(self, x) -> np.ndarray:
        """Decode each image's code (a VAE's posterior mean): images in [0, 1]."""
        return self.decode_mean(self.codes(x))

    def _check_latent(self, z) -> tf.Tensor:
        z = ops.convert_to_tensor(z, dtype="float32")
        if len(z.shape) != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (N, {self.latent_dim}); got {tuple(z.shape)}. "
                "Fix: one row per latent point, e.g. z.reshape(-1, "
                f"{self.latent_dim})."
            )
        if not bool(ops.all(ops.isfinite(z))):
            raise ValueError("z must be finite; got NaN or inf values.")
        return z

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "reconstruction": self.reconstruction,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


@keras.saving.register_keras_serializable(package="gdl_vae")
class Autoencoder(_LatentModel):
    """A deterministic autoencoder trained on reconstruction error.

    reconstruction="bernoulli" (the default) is the Bernoulli NLL of the pixels
    from logits; "mse" is the squared error, the loss under which a linear
    autoencoder finds the principal subspace.
    """

    loss_names = ("loss", "reconstruction_loss")

    def loss_terms(self, x, training: bool = False) -> dict:
        logits = self.decoder(self.encoder(x, training=training), training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        return {"loss": reconstruction, "reconstruction_loss": reconstruction}

    def call(self, x, training: bool = False):
        return self.mean_image(self.decoder(self.encoder(x, training=training)))

    def encode(self, x) -> np.ndarray:
        """Latent codes of shape (N, latent_dim)."""
        check_images(x, self.image_shape)
        return ops.convert_to_numpy(self._batched(self.encoder, x))

    def codes(self, x) -> np.ndarray:
        """Latent codes of shape (N, latent_dim): the same as encode."""
        return self.encode(x)

    def decode(self, z) -> np.ndarray:
        """Images in [0, 1] of shape (N, *image_shape)."""
        return self.decode_mean(z)


@keras.saving.register_keras_serializable(package="gdl_vae")
class VAE(_LatentModel):
    """Variational autoencoder: loss = reconstruction + beta * KL(q(z|x) || N(0, I)).

    fixed_scale freezes the encoder's standard deviation at one value for every
    image and dimension (the encoder's log-variance output is ignored). With
    fixed_scale=1 the KL term is only its mean part, ||mu||^2 / 2: the model
    that separates what the mean term does from what the variance term does.
    """

    loss_names = ("loss", "reconstruction_loss", "kl_loss")

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        seed: int | None = None,
        fixed_scale: float | None = None,
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0; got {beta}. beta=1 is the ELBO.")
        if fixed_scale is not None and not fixed_scale > 0:
            raise ValueError(f"fixed_scale must be > 0 or None; got {fixed_scale}.")
        if self.reconstruction != "bernoulli":
            raise ValueError(
                "a VAE's likelihood is Bernoulli (its bounds are in nats); got "
                f"reconstruction={self.reconstruction!r}."
            )
        self.seed = seed
        self.fixed_scale = fixed_scale
        if fixed_scale is not None and len(encoder.outputs) == 2:
            # The log-variance head is ignored: freeze the layer that computes
            # it, so the optimizer expects no gradient for its weights.
            encoder.outputs[1]._keras_history.operation.trainable = False
        self.sampling = Sampling(seed=seed, name="sampling")
        # A variable, so that a callback can anneal it without retracing.
        self.beta = keras.Variable(beta, trainable=False, dtype="float32", name="beta")

    def posterior_parameters(self, x, training: bool = False) -> tuple:
        """(mean, log-variance) of q(z|x), each (N, latent_dim)."""
        z_mean, z_log_var = self.encoder(x, training=training)
        if self.fixed_scale is not None:
            z_log_var = ops.full_like(z_mean, 2.0 * math.log(self.fixed_scale))
        return z_mean, z_log_var

    def posterior(self, z_mean, z_log_var) -> tfd.Distribution:
        """q(z|x): a diagonal Gaussian, batch shape [N], event shape [latent_dim]."""
        return tfd.MultivariateNormalDiag(
            loc=z_mean, scale_diag=ops.exp(0.5 * z_log_var)
        )

    def prior(self) -> tfd.Distribution:
        """p(z) = N(0, I)."""
        return tfd.MultivariateNormalDiag(loc=tf.zeros(self.latent_dim))

    def loss_terms(self, x, training: bool = False) -> dict:
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        logits = self.decoder(z, training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        kl = ops.mean(
            tfd.kl_divergence(self.posterior(z_mean, z_log_var), self.prior())
        )
        return {
            "loss": reconstruction + self.beta * kl,
            "reconstruction_loss": reconstruction,
            "kl_loss": kl,
        }

    def call(self, x, training: bool = False):
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        z = self.sampling([z_mean, z_log_var]) if training else z_mean
        return ops.sigmoid(self.decoder(z, training=training))

    def encode(self, x) -> tfd.Distribution:
        """q(z|x) for each image: call .mean(), .stddev(), .sample() on it."""
        check_images(x, self.image_shape)
        return self.posterior(*self._batched(self.posterior_parameters, x))

    def codes(self, x) -> np.ndarray:
        """The posterior means E[z|x], shape (N, latent_dim): one point per image."""
        return ops.convert_to_numpy(self.encode(x).mean())

    def decode(self, z) -> tfd.Distribution:
        """p(x|z): a distribution over images, event shape image_shape."""
        return self.likelihood(self._batched(self.decoder, self._check_latent(z)))

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n new images in [0, 1]: z ~ N(0, I), then the decoder's pixel means."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a whole number >= 1; got {n!r}.")
        z = keras.random.normal((int(n), self.latent_dim), seed=seed)
        return self.decode_mean(z)

    def elbo(self, x, n_samples: int = 1, seed: int | None = None) -> np.ndarray:
        """Per-example evidence lower bound in nats, shape (N,)."""
        return evaluation.elbo(self, x, n_samples=n_samples, seed=seed)

    def iwae_bound(self, x, k: int = 1000, seed: int | None = None) -> np.ndarray:
        """Per-example importance-weighted bound (Burda et al. 2016) in nats."""
        return evaluation.iwae_bound(self, x, k=k, seed=seed)

    def get_config(self) -> dict:
        beta = float(self.beta.numpy())
        return {
            **super().get_config(),
            "beta": beta,
            "seed": self.seed,
            "fixed_scale": self.fixed_scale,
        }


@keras.saving.register_keras_serializable(package="gdl_vae")
class ACAI(Autoencoder):
    """Adversarially Constrained Autoencoder Interpolation (Berthelot, Raffel,
    Roy & Goodfellow, ICLR 2019): an autoencoder whose mixes of two codes must
    decode to images a critic cannot tell from unmixed ones.

    Each training step pairs every code z1 in the batch with another, z2, and a
    weight alpha ~ U[0, 0.5], and decodes the mix alpha * z1 + (1 - alpha) * z2.
      critic:      learns to say alpha from the decoded mix, and 0 for a real
                   image (a blend gamma * x + (1 - gamma) * reconstruction, so
                   that it cannot win by spotting reconstruction blur alone);
      autoencoder: reconstruction + lambda * critic(mix)^2, so that mixes look
                   unmixed to the critic.
    Both networks are updated from the same forward pass, each by its own Adam.

    The paper averages its squared error over pixels; here the reconstruction
    term is summed over pixels (nats per image, like the other models), so the
    penalty is summed over pixels too: lambda = 0.5 keeps the paper's balance.
    """

    loss_names = (
        "loss",
        "reconstruction_loss",
        "adversarial_loss",
        "critic_loss",
        "critic_mix_loss",
        "critic_real_loss",
    )

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        critic: keras.Model,
        adversarial_weight: float = 0.5,
        gamma: float = 0.2,
        critic_learning_rate: float = 1e-4,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        if not adversarial_weight >= 0:
            raise ValueError(
                f"adversarial_weight must be >= 0; got {adversarial_weight} (the "
                "paper's lambda is 0.5; 0 is a plain autoencoder)."
            )
        if not 0 <= gamma <= 1:
            raise ValueError(f"gamma must be in [0, 1]; got {gamma} (paper: 0.2).")
        self.critic = critic
        self.adversarial_weight = adversarial_weight
        self.gamma = gamma
        self.critic_learning_rate = critic_learning_rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        optimizer = keras.optimizers.Adam(critic_learning_rate)
        if self.dtype_policy.name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        # Built now, so that a saved model's critic optimizer loads into it.
        optimizer.build(critic.trainable_variables)
        self.critic_optimizer = optimizer

    @property
    def autoencoder_weights(self) -> list:
        """The weights the reconstruction and adversarial terms train."""
        return self.encoder.trainable_weights + self.decoder.trainable_weights

    def compile(self, optimizer="adam", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        # The optimizer trains the autoencoder only; the critic has its own.
        self.optimizer.build(self.autoencoder_weights)

    def compile_from_config(self, config: dict) -> None:
        self.compile(**keras.saving.deserialize_keras_object(config))

    def mix(self, z):
        """(alpha, mixed codes): each code mixed with the batch's code in
        reverse order, alpha ~ U[0, 0.5] per pair, (B,) and (B, latent_dim)."""
        u = keras.random.uniform((ops.shape(z)[0],), seed=self.seed_generator)
        alpha = 0.5 - ops.abs(u - 0.5)  # folds U[0, 1] onto [0, 0.5]
        partner = ops.flip(z, axis=0)
        return alpha, alpha[:, None] * z + (1.0 - alpha[:, None]) * partner

    def loss_terms(self, x, training: bool = False) -> dict:
        z = self.encoder(x, training=training)
        logits = self.decoder(z, training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        alpha, z_mix = self.mix(z)
        mixed = self.mean_image(self.decoder(z_mix, training=training))
        guess = self.critic(mixed, training=training)
        pixels = math.prod(self.image_shape)
        adversarial = ops.mean(ops.square(guess))
        # The critic's real examples: x blended with its reconstruction.
        blend = self.gamma * x + (1.0 - self.gamma) * self.mean_image(logits)
        real = ops.mean(ops.square(self.critic(blend, training=training)))
        mix_error = ops.mean(ops.square(guess - alpha))
        return {
            "loss": reconstruction + self.adversarial_weight * pixels * adversarial,
            "reconstruction_loss": reconstruction,
            "adversarial_loss": adversarial,
            "critic_loss": mix_error + real,
            "critic_mix_loss": mix_error,
            "critic_real_loss": real,
        }

    def train_step(self, data):
        x = _images(data)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape, tf.GradientTape() as critic_tape:
            terms = self.loss_terms(x, training=True)
            loss = self.optimizer.scale_loss(terms["loss"] / replicas)
            critic_loss = self.critic_optimizer.scale_loss(
                terms["critic_loss"] / replicas
            )
        weights = self.autoencoder_weights
        gradients = tape.gradient(loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        critic_weights = self.critic.trainable_weights
        critic_gradients = critic_tape.gradient(critic_loss, critic_weights)
        self.critic_optimizer.apply_gradients(
            zip(critic_gradients, critic_weights, strict=True)
        )
        return self._record(terms)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "critic": keras.saving.serialize_keras_object(self.critic),
            "adversarial_weight": self.adversarial_weight,
            "gamma": self.gamma,
            "critic_learning_rate": self.critic_learning_rate,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["critic"] = keras.saving.deserialize_keras_object(config["critic"])
        return super().from_config(config)


def _compiled(model, learning_rate: float, steps_per_execution: int | None):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        steps_per_execution=_steps_per_execution(steps_per_execution),
    )
    return model


def build_autoencoder(
    latent_dim: int = 2,
    architecture: str = "conv",
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-3,
    dtype_policy: str | None = None,
    steps_per_execution: int | None = None,
    reconstruction: str = "bernoulli",
) -> Autoencoder:
    """A compiled Autoencoder (Adam) ready for fit().

    architecture="linear" with reconstruction="mse" is the autoencoder that
    finds the principal subspace (notebook 05).
    """
    model = Autoencoder(
        build_encoder(latent_dim, architecture, image_shape, False, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        reconstruction=reconstruction,
        name="autoencoder",
        dtype=dtype_policy,
    )
    return _compiled(model, learning_rate, steps_per_execution)


def build_vae(
    latent_dim: int = 2,
    architecture: str = "conv",
    beta: float = 1.0,
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-3,
    dtype_policy: str | None = None,
    seed: int | None = None,
    steps_per_execution: int | None = None,
    fixed_scale: float | None = None,
) -> VAE:
    """A compiled VAE (Adam) ready for fit(); see VAE for beta and fixed_scale."""
    model = VAE(
        build_encoder(latent_dim, architecture, image_shape, True, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        beta=beta,
        seed=seed,
        fixed_scale=fixed_scale,
        name="vae",
        dtype=dtype_policy,
    )
    return _compiled(model, learning_rate, steps_per_execution)


def build_acai(
    latent_dim: int = 32,
    architecture: str = "conv",
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-4,
    adversarial_weight: float = 0.5,
    gamma: float = 0.2,
    critic_learning_rate: float | None = None,
    dtype_policy: str | None = None,
    seed: int | None = None,
    steps_per_execution: int | None = None,
) -> ACAI:
    """A compiled ACAI ready for fit(): the autoencoder's networks plus a critic
    of the encoder's architecture. Defaults are the paper's (lambda 0.5, gamma
    0.2, Adam 1e-4 for both networks); critic_learning_rate defaults to
    learning_rate."""
    model = ACAI(
        build_encoder(latent_dim, architecture, image_shape, False, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        build_critic(architecture, image_shape, dtype_policy),
        adversarial_weight=adversarial_weight,
        gamma=gamma,
        critic_learning_rate=(
            learning_rate if critic_learning_rate is None else critic_learning_rate
        ),
        seed=seed,
        name="acai",
        dtype=dtype_policy,
    )
    return _compiled(model, learning_rate, steps_per_execution)
