"""Code intelligence: the repo map for the system prompt and the code tools for guest code.

Public entry points:

- `repomap.build_repo_map(project, token_budget=..., mentioned=..., recent=...) -> RepoMap`
- `host_tools.make_host_tools(project) -> [outline, find_definitions, find_references, search]`

Inside: `languages` (grammars and queries), `symbols` (extraction), `files` (the walk),
`cache` (the SQLite symbol cache), `index` (walk + cache + parse), `ranking` (PageRank),
`textsearch`, `confine` (path checks) and `errors`. Submodules are imported on demand so that
importing this package costs nothing.
"""
