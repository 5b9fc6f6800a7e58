"""Reading data: CSV files (csvio), a table's columns into numbers and labels (tables), its layout (layout) and
series (series, series_data), checks on columns (table_checks), the data per class (class_profile), and the model's
training data: scaling and splits (prepare)."""
