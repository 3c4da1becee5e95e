"""Pick the fastest safe Keras dtype policy for this hardware.

Mixed policies compute layers in 16 bits and keep variables, output layers and
losses in float32 (the models' output layers are float32 whatever the policy).
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from gdl_vae.models.registry import DTYPE_POLICIES

POLICIES = DTYPE_POLICIES


def _cpu_flags(cpuinfo: str | None) -> set[str]:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux
            return set()
    return set(cpuinfo.split())


def cpu_has_bfloat16(cpuinfo: str | None = None) -> bool:
    """True when the CPU has any bfloat16 instructions (AVX512-BF16 or AMX-BF16)."""
    return bool(_cpu_flags(cpuinfo) & {"avx512_bf16", "amx_bf16"})


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """True when the CPU has AMX tiles for bfloat16 matrix products."""
    return "amx_bf16" in _cpu_flags(cpuinfo)


def best_policy(cpuinfo: str | None = None) -> str:
    """The policy to train with: "mixed_float16" on a GPU with tensor cores,
    "mixed_bfloat16" on a CPU with AMX, "float32" otherwise.

    AVX512-BF16 alone is not enough: on a 2-core AMD EPYC with it (no AMX) the
    default VAE trained only 1.04x faster under mixed_bfloat16 (mean of 3
    seeds; benchmarks/precision.md), and its held-out ELBO moved by 0.43 nats,
    well inside the 5.8 nats that seeds alone spread float32's.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        capability = details.get("compute_capability") or (0, 0)
        return "mixed_float16" if tuple(capability) >= (7, 0) else "float32"
    return "mixed_bfloat16" if cpu_has_amx(cpuinfo) else "float32"


def resolve_policy(policy: str | None) -> str | None:
    """ "auto" -> best_policy(); None keeps Keras' global policy; else checked."""
    if policy == "auto":
        return best_policy()
    if policy is not None and policy not in POLICIES:
        raise ValueError(
            f"dtype_policy must be 'auto' or one of {', '.join(POLICIES)}; got "
            f"{policy!r}."
        )
    return policy
