"""The notebooks under nbval run quick and offline unless told otherwise.

GDL_VAE_QUICK=1 shrinks each notebook to about a minute; GDL_VAE_OFFLINE=1 makes
every machine use the same data, the standard MNIST split shipped in
data/mnist/, as the committed outputs did. Set GDL_VAE_QUICK=0 to run the
notebooks in full.
GDL_VAE_NO_WIDGETS=1: nbval has no widget front end, so the latent explorer
shows its static figure, as in the committed outputs.
"""

import os

os.environ.setdefault("GDL_VAE_QUICK", "1")
os.environ.setdefault("GDL_VAE_OFFLINE", "1")
os.environ.setdefault("GDL_VAE_NO_WIDGETS", "1")
