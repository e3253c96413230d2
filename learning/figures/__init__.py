"""Figures: schematic drawings in the fact base, the questions asked on them, and the
SVG drawn from them. `data` reads and checks the YAML, `drawing` draws, `questions`
generates; `stored` is the Django side (the figures of the project, a question's
drawing)."""
