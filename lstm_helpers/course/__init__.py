"""Course material: one module per notebook (its exercises, their checkers and typical mistakes, its one-off figures)."""
