# fish completion for codeact-tui (generated from its argparse definitions by packaging/generate.py;
# do not edit). Install: `codeact-tui completions fish > ~/.config/fish/completions/codeact-tui.fish`.

complete -c codeact-tui -f

# codeact-tui [PATH] [options]: the app command
complete -c codeact-tui -n '__fish_use_subcommand' -a '(__fish_complete_directories)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l version -d 'show program\'s version number and exit'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l profile -x -d 'the model profile (default: [model] profile, else chosen from the model\'s name)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l temperature -x -d 'the sampling temperature (default: [model] temperature, else the model profile\'s)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l approve -x -a 'auto ask plan preview' -d 'run actions at once, ask before each, run them on a read-only project (plan), or preview each on a copy and apply it on '
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l auto-test -l no-auto-test -d 'after the model changes Python files while the request speaks of tests, run the tests at once; also before an answer whe'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l fresh-attempts -x -d 'when the model gives up or repeats itself while the tests fail, restore the turn\'s start and ask it afresh, up to N tim'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l continue -d 'continue this project\'s latest conversation'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l resume -d 'pick an earlier conversation to continue (or give its id)'
complete -c codeact-tui -n 'not __fish_seen_subcommand_from bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app' -l theme -x -a 'codeact-dark codeact-light' -d 'the theme (codeact-dark, codeact-light, a Textual theme, or one of your theme files)'

complete -c codeact-tui -n '__fish_use_subcommand' -a bench -d 'benchmark a model (M3ToolEval beside the CodeAct paper; Exercism Python beside aider)'
complete -c codeact-tui -n '__fish_use_subcommand' -a conversations -d 'list the project\'s stored conversations (the ids --resume takes), latest first'
complete -c codeact-tui -n '__fish_use_subcommand' -a doctor -d 'check the sandbox, git and the model server; --warm prepares the sandbox'
complete -c codeact-tui -n '__fish_use_subcommand' -a exec -d 'run Python code in the project\'s sandbox (recorded in history as a manual entry)'
complete -c codeact-tui -n '__fish_use_subcommand' -a history -d 'list what every action changed (newest last)'
complete -c codeact-tui -n '__fish_use_subcommand' -a diff -d 'show the diff of an entry, or between two points'
complete -c codeact-tui -n '__fish_use_subcommand' -a undo -d 'take back an entry, keeping later work (default: the last action)'
complete -c codeact-tui -n '__fish_use_subcommand' -a redo -d 'take back the last undo (new work since drops it; name an older undone entry to redo it)'
complete -c codeact-tui -n '__fish_use_subcommand' -a restore -d 'make the project equal to the state after an entry'
complete -c codeact-tui -n '__fish_use_subcommand' -a map -d 'print the repo map of a project'
complete -c codeact-tui -n '__fish_use_subcommand' -a models -d 'list the models the model server has'
complete -c codeact-tui -n '__fish_use_subcommand' -a pull -d 'download a model into Ollama, with progress'
complete -c codeact-tui -n '__fish_use_subcommand' -a rewind -d 'return files, conversation and variables to before a user turn (undoable)'
complete -c codeact-tui -n '__fish_use_subcommand' -a run -d 'run the agent headless on one task'
complete -c codeact-tui -n '__fish_use_subcommand' -a completions -d 'print the shell completion script for bash, zsh or fish'
complete -c codeact-tui -n '__fish_use_subcommand' -a app -d 'open the terminal app (the default: `codeact-tui [PATH]`)'

complete -c codeact-tui -n '__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from m3tooleval exercism' -a m3tooleval -d 'the CodeAct paper\'s 82 multi-tool tasks'
complete -c codeact-tui -n '__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from m3tooleval exercism' -a exercism -d 'the Exercism Python practice exercises (aider\'s code-editing benchmark)'

# codeact-tui bench
complete -c codeact-tui -n '__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from m3tooleval exercism' -s h -l help -d 'show this help message and exit'

# codeact-tui bench m3tooleval
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l source -x -a '(__fish_complete_directories)' -d 'a checkout of xingyaoww/code-act (or its scripts/eval/m3tooleval folder)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l profile -x -d 'the model profile of --mode native (default: [model] profile, else chosen from the model\'s name)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l mode -x -a 'faithful native' -d 'the paper\'s loop (default) or codeact-tui\'s own'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l action -x -a 'code json text' -d 'faithful mode\'s action format (default: code)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l tasks -x -d 'only tasks whose id (domain/name) matches this regular expression'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l limit -x -d 'at most N tasks (after --tasks)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l concurrency -x -d 'episodes run at once (default 1; each needs its own sandbox)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l max-turns -x -d 'model replies per task (default 10, as in the paper)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l action-timeout -x -d 'per code action (default 30, as in the paper)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l out -r -F -d 'the records file (JSON lines; default: in the data folder)'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l resume -d 'continue the run recorded in --out: keep finished episodes, rerun missing and failed-by-error ones'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l paper -r -F -d 'the paper\'s results as JSON (paper_results.json), when the checkout has none'
complete -c codeact-tui -n '__fish_seen_subcommand_from m3tooleval' -l json -d 'print the report as one JSON object'

# codeact-tui bench exercism
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l source -x -a '(__fish_complete_directories)' -d 'a checkout of exercism/python (or its exercises/practice folder)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l protocol -x -a 'native aider' -d 'codeact-tui\'s own loop with the tests (default) or aider\'s two-attempt protocol'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l oracle -d 'score the reference solutions instead of a model (checks the harness; needs no model)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l profile -x -d 'the model profile of our agent (default: [model] profile, else chosen from the model\'s name)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l exercises -x -d 'only exercises whose slug matches this regular expression'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l limit -x -d 'at most N exercises (alphabetically, after --exercises)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l concurrency -x -d 'episodes run at once (default 1; each needs its own sandbox)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l max-turns -x -d 'model replies per exercise (native) or per attempt (aider); default 10'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l action-timeout -x -d 'per code action (default 60)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l test-timeout -x -d 'for the pristine tests (default 60, as aider\'s harness)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l out -r -F -d 'the records file (JSON lines; default: in the data folder)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l resume -d 'continue the run recorded in --out: keep finished episodes, rerun missing and failed-by-error ones'
complete -c codeact-tui -n '__fish_seen_subcommand_from exercism' -l json -d 'print the report as one JSON object'

# codeact-tui conversations
complete -c codeact-tui -n '__fish_seen_subcommand_from conversations' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from conversations' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'

# codeact-tui doctor
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -l warm -d 'compile the sandbox now (one time, about a minute, ~2.4 GB RAM)'
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n '__fish_seen_subcommand_from doctor' -l json -d 'print the checks as JSON'

# codeact-tui exec
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -l timeout -x -d 'stop the action after this many seconds (default: [sandbox] deadline_s)'
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -l json -d 'print one JSON object with the outcome instead of streaming output'
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -l preview -d 'run the code over a copy-on-write overlay and print the diff it would make; the project and the history stay unchanged'
complete -c codeact-tui -n '__fish_seen_subcommand_from exec' -l apply -d 'with --preview: then write exactly the previewed changes as one history entry (refused if the project changed meanwhile)'

# codeact-tui history
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -l json -d 'print a JSON array of entries'
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -l files -d 'list every changed file under each entry'
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -s n -l last -x -d 'show only the newest N entries'
complete -c codeact-tui -n '__fish_seen_subcommand_from history' -l prune -d 'drop entries older than [history] keep_days'

# codeact-tui diff
complete -c codeact-tui -n '__fish_seen_subcommand_from diff' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from diff' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'

# codeact-tui undo
complete -c codeact-tui -n '__fish_seen_subcommand_from undo' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from undo' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'

# codeact-tui redo
complete -c codeact-tui -n '__fish_seen_subcommand_from redo' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from redo' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'

# codeact-tui restore
complete -c codeact-tui -n '__fish_seen_subcommand_from restore' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from restore' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'

# codeact-tui map
complete -c codeact-tui -n '__fish_seen_subcommand_from map' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from map' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: .)'
complete -c codeact-tui -n '__fish_seen_subcommand_from map' -l tokens -x -d 'the token budget (default: codeintel.map_tokens)'
complete -c codeact-tui -n '__fish_seen_subcommand_from map' -l mention -x -d 'a file, symbol or sentence to rank up, as if the conversation mentioned it (repeatable)'
complete -c codeact-tui -n '__fish_seen_subcommand_from map' -l stats -d 'also print size and timing to stderr'

# codeact-tui models
complete -c codeact-tui -n '__fish_seen_subcommand_from models' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from models' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from models' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from models' -l json -d 'print a JSON array'

# codeact-tui pull
complete -c codeact-tui -n '__fish_seen_subcommand_from pull' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from pull' -l host -x -d 'the Ollama server\'s URL (default: [model] host, then OLLAMA_HOST)'

# codeact-tui rewind
complete -c codeact-tui -n '__fish_seen_subcommand_from rewind' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from rewind' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'
complete -c codeact-tui -n '__fish_seen_subcommand_from rewind' -l conversation -x -d 'the conversation to rewind (default: the latest)'
complete -c codeact-tui -n '__fish_seen_subcommand_from rewind' -l list -d 'list the conversation\'s user turns and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from rewind' -l force -d 'rewind even over files changed since the last snapshot (they are recorded first, so undo brings them back)'

# codeact-tui run
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l path -x -a '(__fish_complete_directories)' -d 'the project folder (default: the current one)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l profile -x -d 'the model profile (default: [model] profile, else chosen from the model\'s name)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l temperature -x -d 'the sampling temperature (default: [model] temperature, else the model profile\'s)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l max-turns -x -d 'the most model replies before giving up (default: [agent] max_turns)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l approve -x -a 'auto ask plan preview' -d 'auto runs every action; ask asks on the terminal before each; plan runs actions on a read-only project (reads, analyses,'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l auto-test -l no-auto-test -d 'after the model changes Python files while the task speaks of tests, run the tests at once and show it their report; als'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l fresh-attempts -x -d 'when the model gives up or repeats itself while the tests fail after its changes, restore the project to the turn\'s sta'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l resume -d 'continue the latest conversation of this project, or the one with this id'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l continue -d 'continue the latest conversation of this project (its variables come back too)'
complete -c codeact-tui -n '__fish_seen_subcommand_from run' -l json -d 'print one JSON object per event instead of a transcript'

# codeact-tui completions
complete -c codeact-tui -n '__fish_seen_subcommand_from completions' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from completions' -a 'bash zsh fish'

# codeact-tui app
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -s h -l help -d 'show this help message and exit'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l backend -x -a 'ollama openai embedded' -d 'the model backend (default: [model] backend)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l host -x -d 'the model server\'s URL (default: [model] host, then OLLAMA_HOST)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l model -x -d 'the model name, or the GGUF file for --backend embedded'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l profile -x -d 'the model profile (default: [model] profile, else chosen from the model\'s name)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l temperature -x -d 'the sampling temperature (default: [model] temperature, else the model profile\'s)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l approve -x -a 'auto ask plan preview' -d 'run actions at once, ask before each, run them on a read-only project (plan), or preview each on a copy and apply it on '
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l auto-test -l no-auto-test -d 'after the model changes Python files while the request speaks of tests, run the tests at once; also before an answer whe'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l fresh-attempts -x -d 'when the model gives up or repeats itself while the tests fail, restore the turn\'s start and ask it afresh, up to N tim'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l continue -d 'continue this project\'s latest conversation'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l resume -d 'pick an earlier conversation to continue (or give its id)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -l theme -x -a 'codeact-dark codeact-light' -d 'the theme (codeact-dark, codeact-light, a Textual theme, or one of your theme files)'
complete -c codeact-tui -n '__fish_seen_subcommand_from app' -a '(__fish_complete_directories)'
