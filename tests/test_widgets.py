"""The widget helpers: a static PNG first, then controls that redraw; the caller's widgets are never touched."""

import ipywidgets as widgets
import pytest

from lstm_helpers.widgets import InteractiveFigure, interactive_plot, step_player

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _callbacks(w):
    return {name: list(handlers) for name, handlers in w._trait_notifiers.items()}


def test_interactive_plot_draws_nothing_until_shown_then_a_static_png_then_redraws():
    calls = []

    def draw(ax, a):
        calls.append(a)
        ax.plot([0, a])

    slider = widgets.FloatSlider(value=1.0, min=0, max=2, description="a")
    fig = interactive_plot(draw, a=slider)
    assert isinstance(fig, InteractiveFigure) and calls == []
    assert fig.png().startswith(PNG_MAGIC) and calls == [1.0]
    own = fig.controls["a"]
    assert own is not slider and own.description == "a" and own.continuous_update is False
    own.value = 2.0  # the copy the learner sees: redraws the shown picture in place
    assert calls == [1.0, 2.0]
    assert fig.redraw().startswith(PNG_MAGIC) and calls == [1.0, 2.0, 2.0]


def test_a_control_change_replaces_the_shown_picture_instead_of_adding_one():
    updates = []

    class Handle:
        def update(self, obj):
            updates.append(obj.data)

    fig = interactive_plot(lambda ax, a: ax.plot([0, a]), a=widgets.FloatSlider(value=1.0, min=0, max=2))
    fig._shown.append(Handle())  # what showing it in a notebook records
    fig.controls["a"].value = 0.5
    assert len(updates) == 1 and updates[0].startswith(PNG_MAGIC)
    assert [type(w).__name__ for w in fig.box.children] == ["HBox"]  # controls only: no second figure area


def test_interactive_plot_leaves_the_callers_widgets_unchanged():
    slider = widgets.FloatSlider(value=1.0, min=0, max=2)
    drop = widgets.Dropdown(options=["x", "y"], value="y")
    before = (_callbacks(slider), _callbacks(drop), slider.continuous_update)
    fig = interactive_plot(lambda ax, a, b: None, a=slider, b=drop)
    assert (_callbacks(slider), _callbacks(drop), slider.continuous_update) == before
    assert fig.controls["b"].value == "y"


def test_showing_it_displays_the_png_before_the_widget(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    fig = interactive_plot(lambda ax, a: ax.plot([0, a]), a=widgets.IntSlider(value=1, max=3))
    fig._ipython_display_()
    assert isinstance(shown[0], IPython.display.Image) and shown[0].data.startswith(PNG_MAGIC)
    assert shown[1] is fig.box


def test_interactive_plot_never_calls_plt_show(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    fig = interactive_plot(lambda ax, a: ax.plot([0, a]), a=widgets.IntSlider(value=1, max=3))
    fig.png()
    fig.controls["a"].value = 2


def test_step_player_and_errors():
    seen = []
    player = step_player(5, lambda ax, t: seen.append(t))
    assert isinstance(player.box.children[0], widgets.Play) and seen == []
    player.png()
    assert seen == [0]
    with pytest.raises(ValueError, match="n_steps: expected an int >= 1, got 0"):
        step_player(0, lambda ax, t: None)
    with pytest.raises(ValueError, match="controls: expected at least one widget"):
        interactive_plot(lambda ax: None)
    with pytest.raises(ValueError, match="a: expected an ipywidgets value widget"):
        interactive_plot(lambda ax, a: None, a=3)
