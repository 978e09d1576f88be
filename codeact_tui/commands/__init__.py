"""CLI subcommands, one module each.

Every module here defines `register(subparsers)`, which adds its subparser(s) and sets
`handler=<function(args, settings) -> int>` on them; `cli.main` discovers them all, so adding a
command is adding a module.
"""
