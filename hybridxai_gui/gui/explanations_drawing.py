"""The Explanations tab's drawing: the row's Grad-CAM, attention, SHAP and faithfulness figures, each into its
panel, and the selected row in plain words.

A mixin of ExplanationsTab (kept apart from its layout, row list and SHAP worker): it reads the tab's
model, rows, selection and explanation run, and paints through `FigurePanel.paint`, which draws a page
only when it shows. A page is a `plotting.render.Drawing` of plain data, drawn in the render process; what
needs the model (a row's Grad-CAM and attention) is computed first in a worker thread (`prepare=`).
"""

from __future__ import annotations

import numpy as np

from ..plotting.faithfulness_plots import draw_faithfulness
from ..plotting.render import Drawing, figure_drawing
from ..plotting.row_figures import draw_attention_figure, draw_gradcam_figure, draw_shap_view


class ExplanationsDrawing:
    """Drawing methods of ExplanationsTab; they use its panels, rows, combos and result."""

    def _redraw_all(self) -> None:
        if self.trained is None or not self.panels:
            return
        self._draw_gradcam()
        self._draw_attention()
        self._draw_shap()
        self._draw_faithfulness()
        self._update_summary()

    def _names(self) -> list[str]:
        return list(self.trained.feature_names)

    def _views(self, x: np.ndarray, target: int | None):
        """Grad-CAM (of `target`, None = predicted) and attention of the one row x: a single small forward and
        backward pass, cheap enough to run when a page is painted. Runs in the pages' workers, one at a time:
        Grad-CAM hooks the shared model, and two at once would capture each other's passes."""
        from ..core.explain.rows import row_views

        with self._views_lock:
            return row_views(self.trained.model, x, target, self._names(), list(self.trained.class_names))

    def _draw_gradcam(self) -> None:
        panel, i = self.panels["gradcam"], self.current_index()
        if i is None:
            panel.clear(self._nothing_selected())
            return
        c = self._class_for(i)
        trained, x, names, row = self.trained, self.X[i:i + 1], self._names(), self.rows[i]
        which = "predicted" if c == self.predicted[i] else f"predicted {trained.class_names[self.predicted[i]]}"
        # Computed (in a worker) and drawn now if the Grad-CAM page shows, else when it is shown.
        panel.paint(prepare=lambda: figure_drawing(draw_gradcam_figure, x, self._views(x, c).gradcam, names, row,
                                                   which))

    def _draw_attention(self) -> None:
        panel, i = self.panels["attention"], self.current_index()
        if i is None:
            panel.clear(self._nothing_selected())
            return
        x, names, row = self.X[i:i + 1], self._names(), self.rows[i]
        head = self.headCombo.currentIndex() - 1
        panel.paint(prepare=lambda: figure_drawing(draw_attention_figure, self._views(x, None).attention, names, row,
                                                   None if head < 0 else head))

    def _draw_shap(self) -> None:
        if not self.panels:
            return
        panel, i = self.panels["shap"], self.current_index()
        res = self.shown_result()
        if res is None:
            panel.clear("Press “Compute SHAP and checks” to explain the selected row(s).")
            return
        view = self.shapViewCombo.currentText()
        pos = np.nonzero(res.rows == self.rows[i])[0] if i is not None else []
        if view in ("waterfall", "force", "comparison") and i is None:
            panel.clear(self._nothing_selected())
            return
        if view in ("waterfall", "force", "comparison") and not len(pos):
            panel.clear(f"Row {self.rows[i]} is not among the explained rows: press “Compute SHAP and checks”.")
            return
        cls = self.classCombo.currentIndex() - 1
        x, row = (self.X[i:i + 1], self.rows[i]) if i is not None else (None, None)
        position = int(pos[0]) if len(pos) else None
        shown = (int(res.predicted[position]) if cls < 0 else cls) if position is not None else None

        series = getattr(self.trained, "series", None)
        own = None if self.lengths is None or i is None else int(self.lengths[i])

        def arguments(views=None) -> tuple:
            return res, view, None if cls < 0 else cls, position, x, row, views, series, own

        if view == "comparison":  # beside Grad-CAM and attention of the row, computed in a worker
            panel.paint(prepare=lambda: figure_drawing(draw_shap_view, *arguments(self._views(x, shown))))
        else:
            panel.paint(figure_drawing(draw_shap_view, *arguments()))

    def _explained_position(self) -> int | None:
        """The selected row's index in the last result, or None when it was not explained."""
        i = self.current_index()
        if self.result is None or i is None:
            return None
        pos = np.nonzero(self.result.rows == self.rows[i])[0]
        return int(pos[0]) if len(pos) else None

    def _draw_faithfulness(self) -> None:
        if not self.panels:
            return
        panel = self.panels["faithfulness"]
        run = self.run
        if run is None or run.faithfulness is None:
            panel.clear("Press “Compute SHAP and checks”: each view is then tested by removing its most important "
                        "features first and watching the probability fall.")
            return
        position = self._explained_position()
        faith = run.faithfulness
        cls = self.classCombo.currentIndex() - 1
        note = ""
        if position is not None and cls >= 0 and int(faith.targets[position]) != cls:
            note = (f"Measured for class {faith.class_names[int(faith.targets[position])]}; press “Compute SHAP and "
                    f"checks” to measure class {faith.class_names[cls]}.")

        panel.paint(Drawing(draw_faithfulness, (faith, position), title=note))

    def _update_summary(self) -> None:
        from ..core.explain.summary import summarise_row

        label = self.summaryLabel
        position = self._explained_position()
        i = self.current_index()
        if self.result is None or position is None:
            row = "" if i is None else f" row {self.rows[i]}"
            label.setText(f"Press “Compute SHAP and checks” to read{row} in plain words.")
            return
        cls = self.classCombo.currentIndex() - 1
        summary = summarise_row(self.result, position, None if cls < 0 else cls)
        label.setText(summary.text)
