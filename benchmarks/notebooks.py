"""Part 5, notebooks: each notebook's wall time in full and in quick mode."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence

from benchmarks.settings import ROOT, Settings
from gdl_vae.runs import environment


def notebooks(
    settings: Settings,
    save: bool = False,
    only: Sequence[str] | None = None,
    previous: dict | None = None,
) -> dict:
    """Wall time of each notebook run top to bottom (nbclient).

    save: write each full run back into its .ipynb, so that the committed
    outputs are the run whose time is reported. only: run just these notebooks
    (file names or stems); the others keep their rows from previous. Each row
    names the machine and date it was measured on; kept rows keep theirs.
    """
    import nbclient
    import nbformat

    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    paths = paths[: settings.notebooks]
    rows = []
    if only:
        unknown = set(only) - {p.name for p in paths} - {p.stem for p in paths}
        if unknown:
            raise ValueError(f"no notebook named {sorted(unknown)}")
        paths = [p for p in paths if p.name in only or p.stem in only]
        run = {p.name for p in paths}
        rows = [r for r in (previous or {}).get("rows", []) if r["notebook"] not in run]
    # No widget front end here: the committed outputs hold the explorer's static
    # figure, which the website and GitHub can show.
    os.environ["GDL_VAE_NO_WIDGETS"] = "1"
    # An empty cache of trained models: the times are those of a first run of
    # the course in order, where a notebook reuses only what an earlier
    # notebook of this run trained (gdl_vae.cache).
    saved_cache = os.environ.get("GDL_VAE_CACHE")
    cache_dir = tempfile.TemporaryDirectory(prefix="gdl_vae_cache_")
    os.environ["GDL_VAE_CACHE"] = cache_dir.name
    env = environment()
    where = {"machine": env["machine"], "date": env["date"]}  # rows of other runs
    for path in paths:
        for mode in settings.notebook_modes:
            os.environ["GDL_VAE_QUICK"] = "1" if mode == "quick" else "0"
            notebook = nbformat.read(path, as_version=4)
            client = nbclient.NotebookClient(
                notebook,
                timeout=1800,
                resources={"metadata": {"path": str(path.parent)}},
            )
            start = time.perf_counter()
            client.execute()
            seconds = round(time.perf_counter() - start, 1)
            if save and mode == "full":
                nbformat.write(notebook, path)
            rows.append(
                {"notebook": path.name, "mode": mode, "seconds": seconds, **where}
            )
            print(f"  {path.name} ({mode}): {seconds} s", flush=True)
    os.environ.pop("GDL_VAE_QUICK", None)
    os.environ.pop("GDL_VAE_NO_WIDGETS", None)
    if saved_cache is None:
        os.environ.pop("GDL_VAE_CACHE", None)
    else:
        os.environ["GDL_VAE_CACHE"] = saved_cache
    cache_dir.cleanup()
    modes = {mode: i for i, mode in enumerate(settings.notebook_modes)}
    rows.sort(key=lambda r: (r["notebook"], modes.get(r["mode"], len(modes))))
    return {"rows": rows}
