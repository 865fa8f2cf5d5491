"""Our jobs over many machines: an executor (this machine or a Dask cluster), path maps, the segment render."""
