"""The Exercism Python practice exercises as a coding benchmark (aider's code-editing benchmark)."""
