"""The domain: the CodeAct loop, its events and the ports it needs. Never imports textual."""
