"""The app's screens: the main screen and the views and dialogs it opens."""
