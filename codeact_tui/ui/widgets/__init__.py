"""The app's reusable widgets: the transcript and its cards, the prompt, the status bar."""
