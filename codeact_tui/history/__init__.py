"""The shadow git store: snapshots around every action, diff, undo, redo, restore."""
