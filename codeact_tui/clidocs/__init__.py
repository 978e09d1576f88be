"""Documentation generated from the argparse definitions: shell completions and the man page.

Both are built from the parser `cli.build_parser()` returns, so they list exactly the commands and
options the program accepts (`packaging/generate.py` writes them; a test compares).
"""
