"""Course material: one module per notebook (its exercises, their checkers and typical mistakes, its one-off figures).

`checking` holds what every checker shares; `nbNN` holds notebook NN's own material, so one exercise lives in one file.
"""
