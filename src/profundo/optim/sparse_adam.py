"""``optim.SparseAdam`` (Unit 4, issue 14): Adam that updates only the rows a row-sparse gradient touches."""
