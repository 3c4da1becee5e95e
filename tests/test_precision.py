"""Choosing a dtype policy for the hardware."""

import numpy as np
import tensorflow as tf

import gdl_vae
from gdl_vae.precision import best_policy, cpu_has_bfloat16, policy_and_reason


def test_mixed_bfloat16_computes_in_bfloat16_and_keeps_losses_in_float32(binary):
    vae = gdl_vae.build_vae(latent_dim=2, dtype_policy="mixed_bfloat16")
    assert vae.encoder.layers[1].compute_dtype == "bfloat16"
    assert vae.encoder.get_layer("z_mean").compute_dtype == "float32"
    assert vae.decoder.get_layer("logits").compute_dtype == "float32"
    terms = vae.loss_terms(tf.constant(binary[1][:8]))
    assert all(t.dtype == tf.float32 for t in terms.values())
    history = vae.fit(binary[0][:256], epochs=1, batch_size=128, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_policy_choice_follows_the_hardware():
    avx512_bf16 = "flags : fpu sse2 avx2 avx512f avx512_bf16"
    amx = "flags : fpu avx512f avx512_bf16 amx_bf16 amx_tile"
    assert cpu_has_bfloat16(avx512_bf16) and cpu_has_bfloat16(amx)
    assert not cpu_has_bfloat16("flags : fpu sse2 avx2 avx512f")
    if not tf.config.list_physical_devices("GPU"):
        # Measured: bfloat16 on a CPU changes the numbers for little speed.
        assert best_policy(amx) == "float32"
        assert best_policy(avx512_bf16) == "float32"
        for flags in (amx, avx512_bf16, "flags : fpu sse2"):
            assert "CPU" in policy_and_reason(flags)[1]
        assert best_policy("flags : fpu sse2") == "float32"
