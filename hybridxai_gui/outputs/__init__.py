"""What the command line writes to disk: tables and figures, from results the core computed.

Outside the core on purpose: the core computes, `plotting` draws onto given Axes, and this package turns
both into files. No Qt and no pyplot.
"""
