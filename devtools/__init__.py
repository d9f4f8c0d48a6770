"""Tools for developers, never on the platform's own paths: the synthetic city generator (devtools.synth)
and the commands that write a city, `synth_city` (any size, for trials and benchmarks) and `seed_demo` (the
demo's small city). No model, no migration; the domain apps do not import it."""
