"""Qt pieces both applications use (the command hall and the field unit never import each
other — an import contract — so what they share lives here, and imports neither)."""
