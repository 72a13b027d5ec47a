"""Device profiles: how each supported sensor model is recognised, commanded and decoded."""
