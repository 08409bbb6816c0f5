"""The widget helpers build real controls and redraw, and refuse bad arguments clearly."""

import ipywidgets as widgets
import pytest

from lstm_helpers.widgets import interactive_plot, step_player


def test_interactive_plot_redraws_on_change():
    calls = []

    def draw(ax, a):
        calls.append(a)
        ax.plot([0, a])

    slider = widgets.FloatSlider(value=1.0, min=0, max=2)
    box = interactive_plot(draw, a=slider)
    assert isinstance(box, widgets.VBox) and calls == [1.0]
    slider.value = 2.0
    assert calls == [1.0, 2.0]
    assert slider.continuous_update is False


def test_step_player_and_errors():
    seen = []
    box = step_player(5, lambda ax, t: seen.append(t))
    assert isinstance(box.children[0], widgets.Play) and seen == [0]
    with pytest.raises(ValueError, match="n_steps: expected an int >= 1, got 0"):
        step_player(0, lambda ax, t: None)
    with pytest.raises(ValueError, match="controls: expected at least one widget"):
        interactive_plot(lambda ax: None)
    with pytest.raises(ValueError, match="a: expected an ipywidgets value widget"):
        interactive_plot(lambda ax, a: None, a=3)
