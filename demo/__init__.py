"""The bundled demo workspace (`radar demo`): made-up, deterministic data for three teams."""
