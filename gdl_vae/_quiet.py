"""Import TensorFlow without the log lines it writes to the terminal on import."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def import_tensorflow() -> None:
    """Import TensorFlow and list its devices with file descriptor 2 silenced.

    TensorFlow's C++ runtime prints oneDNN and CUDA notices to stderr before its
    log level is read, so the environment variable alone does not silence them.
    Python errors still propagate as exceptions.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters)
        import tensorflow  # noqa: F401

        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
