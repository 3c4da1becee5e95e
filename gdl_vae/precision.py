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
    """The policy to train with: "mixed_float16" on a GPU with tensor cores
    (compute capability 7.0 or more), "float32" everywhere else.

    A CPU keeps float32, with or without bfloat16 instructions. On a 2-core AMD
    EPYC with AVX512-BF16 (no AMX), the default VAE trained 1.04x faster under
    mixed_bfloat16 and its held-out ELBO was 0.43 nats worse (3 seeds;
    benchmarks/precision.md): no speed worth a change in the numbers. On an
    Intel Xeon with AMX, `gdl-vae train` under mixed_bfloat16 gave a held-out
    -ELBO of 150.10 against 148.63 in float32, and isolated bright pixels in
    about 10 of 64 samples (issue 29 of the repository): the README's figures
    are float32's. Ask for mixed_bfloat16 by name to try it.
    """
    return policy_and_reason(cpuinfo)[0]


def policy_and_reason(cpuinfo: str | None = None) -> tuple[str, str]:
    """best_policy() and the reason for it, in words (`gdl-vae train` prints it)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        capability = tuple(details.get("compute_capability") or (0, 0))
        if capability >= (7, 0):
            return "mixed_float16", (
                f"a GPU with tensor cores (compute capability {capability[0]}."
                f"{capability[1]}): float16 layers, float32 variables and losses"
            )
        return "float32", "a GPU without tensor cores: float16 would not be faster"
    if cpu_has_bfloat16(cpuinfo):
        return "float32", (
            "a CPU: bfloat16 here costs nats for little speed; the README's "
            "figures are float32's (pass --dtype-policy mixed_bfloat16 to try it)"
        )
    return "float32", "a CPU without 16-bit arithmetic"


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
