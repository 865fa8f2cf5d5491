"""The local web panel: one window for the whole job, over the same library calls as the commands."""
