"""Identity resolution: deterministic rules, Splink, connected components, stable customer ids."""
