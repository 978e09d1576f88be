"""Model backends: adapters of the ChatModel port."""
