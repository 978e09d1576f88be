"""What the main screen delegates to: one focused class per job (start-up, the model, user turns,
their dialogs, history changes, rewind, switching conversations).

The screen keeps layout, key bindings and routing; each part here owns one job's state and
workers. Workers run on the screen, so its one `Worker.StateChanged` handler reports any failure,
and results come back as messages the screen routes to the part that asked.
"""
