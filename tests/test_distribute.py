"""Training under tf.distribute: MirroredStrategy over two logical CPU devices.

Logical devices must be set before TensorFlow starts its runtime, which the other
tests have done by now, so the check runs in a fresh Python process.
"""

import json
import math
import os
import subprocess
import sys

SCRIPT = r"""
import json

import gdl_vae
import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
devices = [d.name for d in tf.config.list_logical_devices("CPU")]
strategy = tf.distribute.MirroredStrategy(devices)

data = gdl_vae.load_dataset("mnist")
x = gdl_vae.binarize(data.x_train[:512], "static")
held_out = gdl_vae.binarize(data.x_test[:256], "static")


def one_sgd_step(scope, initial):
    # Plain SGD: its step scales with the gradient (Adam's would not), so a
    # gradient summed over replicas instead of averaged would show.
    with scope:
        model = gdl_vae.build_autoencoder(2, "dense")
        if initial is not None:
            model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.SGD(0.05))
    before = [np.array(w) for w in model.get_weights()]
    model.fit(x[:256], batch_size=256, epochs=1, shuffle=False, verbose=0)
    return before, [np.array(w) for w in model.get_weights()]


keras.utils.set_random_seed(0)
initial, single = one_sgd_step(tf.distribute.get_strategy().scope(), None)
_, mirrored = one_sgd_step(strategy.scope(), initial)
step = max(float(np.abs(s - i).max()) for s, i in zip(single, initial))
difference = max(float(np.abs(s - m).max()) for s, m in zip(single, mirrored))

with strategy.scope():
    vae = gdl_vae.build_vae(2, "dense", seed=0)
history = vae.fit(
    gdl_vae.make_dataset(x, 128, "dynamic", seed=0),
    epochs=3,
    validation_data=held_out,
    verbose=0,
)
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "sgd_step": step,
    "single_vs_mirrored": difference,
    "loss": history.history["loss"],
    "val_loss": history.history["val_loss"],
    "kl_loss": history.history["kl_loss"],
}))
"""


def test_training_runs_unchanged_under_mirrored_strategy(tmp_path):
    env = {**os.environ, "GDL_VAE_OFFLINE": "1", "KERAS_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    # Two replicas with half a batch each take the same step as one device with
    # the whole batch: the loss is averaged over replicas, not summed.
    assert result["sgd_step"] > 1e-3
    assert result["single_vs_mirrored"] < 0.01 * result["sgd_step"]
    # The VAE trains: finite, falling losses, and a positive KL.
    assert all(math.isfinite(v) for v in result["loss"] + result["val_loss"])
    assert result["loss"][-1] < result["loss"][0]
    assert result["val_loss"][-1] < result["val_loss"][0]
    assert all(kl > 0 for kl in result["kl_loss"])
