def last_n(items, n):
    """The last n items."""
    return items[-n - 1:]
