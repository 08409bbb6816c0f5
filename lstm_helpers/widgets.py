"""Controls that redraw a figure: every interactive picture in the series is built with `interactive_plot`.

Each shows a picture first (a PNG any viewer can show, also without a kernel), then the controls; moving a
control redraws that same picture in place, so a live notebook never shows two copies of one figure.
"""

from __future__ import annotations

import inspect
import io
from typing import Callable


def _copy_control(w):
    """A new widget of the same kind with the same public settings: the caller's widget stays untouched."""
    selection = hasattr(w, "options")  # dropdowns, radio buttons...: options and value say it all
    skip = {"comm", "keys", "log"} | ({"index", "label"} if selection else set())
    settings = {name: getattr(w, name) for name in w.keys if not name.startswith("_") and name not in skip}
    if selection:
        settings.update(options=w.options, value=w.value)
    return type(w)(**settings)


class InteractiveFigure:
    """A figure drawn by ``draw`` with controls: shown as a PNG, then the controls, which redraw the PNG in place.

    Build it with `interactive_plot`. Showing it (the last line of a cell, or ``display``) shows
    the picture at the controls' starting values, then the controls; a change of a control
    replaces that picture (an IPython display update, so static viewers keep the first one).
    ``controls`` holds this object's own copies of the widgets it was given; ``redraw()`` does what
    a control change does and returns the new PNG bytes.
    """

    def __init__(self, draw: Callable, controls: dict, figsize):
        import ipywidgets as widgets

        self.draw, self.controls, self.figsize = draw, controls, figsize
        self._wants_fig = "fig" in inspect.signature(draw).parameters
        self._shown = []  # display handles of the pictures this figure has shown
        self.box = widgets.VBox([widgets.HBox(list(controls.values()))])
        for w in controls.values():
            w.observe(self.redraw, names="value")

    def values(self) -> dict:
        """The controls' current values, name -> value."""
        return {name: w.value for name, w in self.controls.items()}

    def figure(self):
        """A new matplotlib figure drawn at the controls' current values (the caller closes it)."""
        import matplotlib.pyplot as plt

        if self._wants_fig:
            fig = plt.figure(figsize=self.figsize)
            self.draw(fig=fig, **self.values())
        else:
            fig, ax = plt.subplots(figsize=self.figsize)
            self.draw(ax=ax, **self.values())
        return fig

    def png(self) -> bytes:
        """The figure at the controls' current values as PNG bytes."""
        import matplotlib.pyplot as plt

        fig = self.figure()
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
        finally:
            plt.close(fig)
        return buf.getvalue()

    def redraw(self, *_) -> bytes:
        """Draw the figure at the controls' current values and put it in place of the shown picture."""
        from IPython.display import Image

        png = self.png()
        for handle in self._shown:
            handle.update(Image(png))
        return png

    def _ipython_display_(self):
        from IPython.display import Image, display

        # The picture GitHub, nbconvert and any viewer show; its display id lets the controls replace it.
        handle = display(Image(self.png()), display_id=True)
        if handle is not None:
            self._shown.append(handle)
        display(self.box)


def interactive_plot(draw: Callable, *, figsize=(7.5, 4.2), **controls) -> InteractiveFigure:
    """An `InteractiveFigure`: ``draw`` redrawn when one of ``controls`` (name -> widget) changes.

    ``draw(ax=ax, **values)`` draws into a fresh axes each time (``ax`` is a single axes; ``draw``
    may instead accept ``fig`` to build its own layout). The widgets passed in are copied, so the
    caller's objects never change; the copies use ``continuous_update=False``, so a slider redraws
    once, when released. Nothing is drawn or shown until the result is displayed.
    """
    import ipywidgets as widgets

    if not callable(draw):
        raise ValueError(f"draw: expected a function draw(ax=..., **values), got {type(draw).__name__}")
    if not controls:
        raise ValueError("controls: expected at least one widget, e.g. radius=FloatSlider(...), got none")
    own = {}
    for name, w in controls.items():
        if not isinstance(w, widgets.ValueWidget):
            raise ValueError(f"{name}: expected an ipywidgets value widget (a slider, dropdown...), got {type(w).__name__}")
        own[name] = _copy_control(w)
        if hasattr(own[name], "continuous_update"):
            own[name].continuous_update = False
    return InteractiveFigure(draw, own, figsize)


class StepPlayer(InteractiveFigure):
    """An `InteractiveFigure` over time steps with a play button above its slider (see `step_player`)."""

    def __init__(self, draw: Callable, slider, play, figsize):
        import ipywidgets as widgets

        super().__init__(draw, {"t": slider}, figsize)
        self.play = play
        widgets.jslink((play, "value"), (slider, "value"))
        self.box = widgets.VBox([play, self.box])


def step_player(n_steps: int, draw: Callable, *, figsize=(8, 4.5), interval_ms: int = 600) -> StepPlayer:
    """A play button and a slider over time steps 0 .. n_steps - 1, redrawing ``draw(t=..., ax=...)``.

    Used for step-through views (notebook 06): press play to watch the gates and states evolve.
    """
    import ipywidgets as widgets

    if not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps: expected an int >= 1, got {n_steps!r}")
    if not callable(draw):
        raise ValueError(f"draw: expected a function draw(t=..., ax=...), got {type(draw).__name__}")
    slider = widgets.IntSlider(value=0, min=0, max=n_steps - 1, description="t")
    play = widgets.Play(value=0, min=0, max=n_steps - 1, interval=interval_ms, description="play")
    return StepPlayer(draw, slider, play, figsize)
