"""What the Data tab says about a training file, as plain functions of what the core read (no widgets): the gap
note, and the notes for the layout the file is read in."""

from __future__ import annotations

MISSING_NOTE = "Missing or infinite values in"  # how the gap note starts: a wide file of unequal series drops it


def gap_note(stats, empty: list[str]) -> str | None:
    """The note asking for a gap policy, for the numeric columns with gaps (`stats`: column_stats); a text column's
    blanks are a category of their own and an empty column is left out (noted elsewhere)."""
    if not len(stats):
        return None
    missing = stats.loc[(stats["missing"] > 0) & (stats["type"] == "number") & ~stats["column"].isin(empty),
                        ["column", "missing"]]
    if not len(missing):
        return None
    shown = ", ".join(f"{c!r} ({n})" for c, n in missing.head(6).itertuples(index=False))
    return (f"{MISSING_NOTE} {len(missing)} column(s): {shown}" + (", …" if len(missing) > 6 else "")
            + ". Choose how to treat them under “Missing values”.")


def view_notes(load_notes: list[str], found, view) -> list[str]:
    """The load's notes, the column findings' (`found`: ColumnFindings, the label left out) and the layout's (a
    table read as a table, not as series, says why) for `view` (core.pipeline.TableView, or None). A long file's
    id and time columns are no features (no identifier note about them) and its gaps are gaps; a wide file's
    shorter series end in empty cells, which are no gaps."""
    notes = list(load_notes)
    spec = view.detected.spec if view is not None else None
    long = spec is not None and spec.layout == "long"
    if long:
        found = found.without([spec.id_column, spec.time_column])
    notes += found.notes(unticked=True)
    if view is not None:
        notes += [n for n in view.detected.notes if n not in notes]
    profile = view.profile if view is not None else None
    if profile is not None and profile.kind == "series" and len(set(profile.lengths.tolist())) > 1:
        if long:
            why = "each series ends at its last row"
        else:
            notes = [n for n in notes if not n.startswith(MISSING_NOTE)]
            why = "empty cells at a row's end end its series"
        how = ("each keeps its own time axis, with zeros after its end up to the longest training series (“Unequal "
               "lengths: pad with zeros”, for one fixed sampling rate)" if profile.padded else
               "each is resampled to the longest training series (“Unequal lengths: resample”, for a pace that "
               "varies; “pad with zeros” keeps each one's time axis instead)")
        notes.append(f"The series have {int(profile.lengths.min())} to {int(profile.lengths.max())} steps "
                     f"({why}): {how}, at training and at prediction.")
        if profile.ripple_hint:
            notes.append(profile.ripple_hint)
    return notes
