"""One module per emulated system; each exposes a System subclass."""
