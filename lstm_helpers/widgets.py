"""Sliders that redraw a figure: every interactive picture in the series is built with `interactive_plot`.

A notebook first draws the figure once at the default values (a static picture that GitHub, nbval
and any static viewer show), then calls `interactive_plot` with the same drawing function.
"""

from __future__ import annotations

from typing import Callable


def interactive_plot(draw: Callable, *, figsize=(7.5, 4.2), **controls):
    """Return an ipywidgets box: ``controls`` (name -> widget) above a figure redrawn by ``draw``.

    ``draw(ax=ax, **values)`` draws into a fresh axes each time a control changes (``ax`` is a
    single axes; ``draw`` may also accept ``fig`` to build its own layout). Controls default to
    ``continuous_update=False`` so a slider redraws once, when released.
    """
    import inspect

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not callable(draw):
        raise ValueError(f"draw: expected a function draw(ax=..., **values), got {type(draw).__name__}")
    if not controls:
        raise ValueError("controls: expected at least one widget, e.g. radius=FloatSlider(...), got none")
    for name, w in controls.items():
        if not isinstance(w, widgets.ValueWidget):
            raise ValueError(f"{name}: expected an ipywidgets value widget (a slider, dropdown...), got {type(w).__name__}")
        if hasattr(w, "continuous_update"):
            w.continuous_update = False
    wants_fig = "fig" in inspect.signature(draw).parameters
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            values = {k: w.value for k, w in controls.items()}
            if wants_fig:
                fig = plt.figure(figsize=figsize)
                draw(fig=fig, **values)
            else:
                fig, ax = plt.subplots(figsize=figsize)
                draw(ax=ax, **values)
            plt.show()

    for w in controls.values():
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(controls.values())), out])


def step_player(n_steps: int, draw: Callable, *, figsize=(8, 4.5), interval_ms: int = 600):
    """A play button and a slider over time steps 0 .. n_steps - 1, redrawing ``draw(t=..., ax=...)``.

    Used for step-through views (notebook 06): press play to watch the gates and states evolve.
    """
    import ipywidgets as widgets

    if not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps: expected an int >= 1, got {n_steps!r}")
    slider = widgets.IntSlider(value=0, min=0, max=n_steps - 1, description="t")
    play = widgets.Play(value=0, min=0, max=n_steps - 1, interval=interval_ms)
    widgets.jslink((play, "value"), (slider, "value"))
    box = interactive_plot(draw, figsize=figsize, t=slider)
    slider.continuous_update = True
    return widgets.VBox([play, box])
