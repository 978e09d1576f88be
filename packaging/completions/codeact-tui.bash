# bash completion for codeact-tui (generated from its argparse definitions by packaging/generate.py;
# do not edit). Install: `codeact-tui completions bash > ~/.local/share/bash-completion/completions/codeact-tui`,
# or source it from ~/.bashrc.

_codeact_tui_subcommands() {
    case "$1" in
        "") echo "bench conversations doctor exec history diff undo redo restore map models pull rewind run completions app" ;;
        "bench") echo "m3tooleval exercism" ;;
    esac
}

_codeact_tui_options() {
    case "$1" in
        "") echo "-h --help --version --backend --host --model --profile --temperature --approve --auto-test --no-auto-test --fresh-attempts --continue --resume --theme" ;;
        "bench") echo "-h --help" ;;
        "bench m3tooleval") echo "-h --help --source --backend --host --model --profile --mode --action --tasks --limit --concurrency --max-turns --action-timeout --out --resume --paper --json" ;;
        "bench exercism") echo "-h --help --source --protocol --oracle --backend --host --model --profile --exercises --limit --concurrency --max-turns --action-timeout --test-timeout --out --resume --json" ;;
        "conversations") echo "-h --help --path" ;;
        "doctor") echo "-h --help --warm --backend --host --model --json" ;;
        "exec") echo "-h --help --path --timeout --json --preview --apply" ;;
        "history") echo "-h --help --path --json --files -n --last --prune" ;;
        "diff") echo "-h --help --path" ;;
        "undo") echo "-h --help --path" ;;
        "redo") echo "-h --help --path" ;;
        "restore") echo "-h --help --path" ;;
        "map") echo "-h --help --path --tokens --mention --stats" ;;
        "models") echo "-h --help --backend --host --json" ;;
        "pull") echo "-h --help --host" ;;
        "rewind") echo "-h --help --path --conversation --list --force" ;;
        "run") echo "-h --help --path --backend --host --model --profile --temperature --max-turns --approve --auto-test --no-auto-test --fresh-attempts --resume --continue --json" ;;
        "completions") echo "-h --help" ;;
        "app") echo "-h --help --backend --host --model --profile --temperature --approve --auto-test --no-auto-test --fresh-attempts --continue --resume --theme" ;;
    esac
}

_codeact_tui_valued() {
    case "$1" in
        "") echo "--backend --host --model --profile --temperature --approve --fresh-attempts --theme" ;;
        "bench m3tooleval") echo "--source --backend --host --model --profile --mode --action --tasks --limit --concurrency --max-turns --action-timeout --out --paper" ;;
        "bench exercism") echo "--source --protocol --backend --host --model --profile --exercises --limit --concurrency --max-turns --action-timeout --test-timeout --out" ;;
        "conversations") echo "--path" ;;
        "doctor") echo "--backend --host --model" ;;
        "exec") echo "--path --timeout" ;;
        "history") echo "--path -n --last" ;;
        "diff") echo "--path" ;;
        "undo") echo "--path" ;;
        "redo") echo "--path" ;;
        "restore") echo "--path" ;;
        "map") echo "--path --tokens --mention" ;;
        "models") echo "--backend --host" ;;
        "pull") echo "--host" ;;
        "rewind") echo "--path --conversation" ;;
        "run") echo "--path --backend --host --model --profile --temperature --max-turns --approve --fresh-attempts" ;;
        "app") echo "--backend --host --model --profile --temperature --approve --fresh-attempts --theme" ;;
    esac
}

_codeact_tui_value() {
    local cur="$3"
    case "$1|$2" in
        "|--backend"|"app|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "|--host"|"app|--host") COMPREPLY=() ;;
        "|--model"|"app|--model") COMPREPLY=() ;;
        "|--profile"|"app|--profile") COMPREPLY=() ;;
        "|--temperature"|"app|--temperature") COMPREPLY=() ;;
        "|--approve"|"app|--approve") COMPREPLY=($(compgen -W "auto ask plan preview" -- "$cur")) ;;
        "|--fresh-attempts"|"app|--fresh-attempts") COMPREPLY=() ;;
        "|--resume"|"app|--resume") COMPREPLY=() ;;
        "|--theme"|"app|--theme") COMPREPLY=($(compgen -W "codeact-dark codeact-light" -- "$cur")) ;;
        "bench m3tooleval|--source") _codeact_tui_dirs "$cur" ;;
        "bench m3tooleval|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "bench m3tooleval|--host") COMPREPLY=() ;;
        "bench m3tooleval|--model") COMPREPLY=() ;;
        "bench m3tooleval|--profile") COMPREPLY=() ;;
        "bench m3tooleval|--mode") COMPREPLY=($(compgen -W "faithful native" -- "$cur")) ;;
        "bench m3tooleval|--action") COMPREPLY=($(compgen -W "code json text" -- "$cur")) ;;
        "bench m3tooleval|--tasks") COMPREPLY=() ;;
        "bench m3tooleval|--limit") COMPREPLY=() ;;
        "bench m3tooleval|--concurrency") COMPREPLY=() ;;
        "bench m3tooleval|--max-turns") COMPREPLY=() ;;
        "bench m3tooleval|--action-timeout") COMPREPLY=() ;;
        "bench m3tooleval|--out") _codeact_tui_files "$cur" ;;
        "bench m3tooleval|--paper") _codeact_tui_files "$cur" ;;
        "bench exercism|--source") _codeact_tui_dirs "$cur" ;;
        "bench exercism|--protocol") COMPREPLY=($(compgen -W "native aider" -- "$cur")) ;;
        "bench exercism|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "bench exercism|--host") COMPREPLY=() ;;
        "bench exercism|--model") COMPREPLY=() ;;
        "bench exercism|--profile") COMPREPLY=() ;;
        "bench exercism|--exercises") COMPREPLY=() ;;
        "bench exercism|--limit") COMPREPLY=() ;;
        "bench exercism|--concurrency") COMPREPLY=() ;;
        "bench exercism|--max-turns") COMPREPLY=() ;;
        "bench exercism|--action-timeout") COMPREPLY=() ;;
        "bench exercism|--test-timeout") COMPREPLY=() ;;
        "bench exercism|--out") _codeact_tui_files "$cur" ;;
        "conversations|--path") _codeact_tui_dirs "$cur" ;;
        "doctor|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "doctor|--host") COMPREPLY=() ;;
        "doctor|--model") COMPREPLY=() ;;
        "exec|--path") _codeact_tui_dirs "$cur" ;;
        "exec|--timeout") COMPREPLY=() ;;
        "history|--path") _codeact_tui_dirs "$cur" ;;
        "history|-n"|"history|--last") COMPREPLY=() ;;
        "diff|--path") _codeact_tui_dirs "$cur" ;;
        "undo|--path") _codeact_tui_dirs "$cur" ;;
        "redo|--path") _codeact_tui_dirs "$cur" ;;
        "restore|--path") _codeact_tui_dirs "$cur" ;;
        "map|--path") _codeact_tui_dirs "$cur" ;;
        "map|--tokens") COMPREPLY=() ;;
        "map|--mention") COMPREPLY=() ;;
        "models|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "models|--host") COMPREPLY=() ;;
        "pull|--host") COMPREPLY=() ;;
        "rewind|--path") _codeact_tui_dirs "$cur" ;;
        "rewind|--conversation") COMPREPLY=() ;;
        "run|--path") _codeact_tui_dirs "$cur" ;;
        "run|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "run|--host") COMPREPLY=() ;;
        "run|--model") COMPREPLY=() ;;
        "run|--profile") COMPREPLY=() ;;
        "run|--temperature") COMPREPLY=() ;;
        "run|--max-turns") COMPREPLY=() ;;
        "run|--approve") COMPREPLY=($(compgen -W "auto ask plan preview" -- "$cur")) ;;
        "run|--fresh-attempts") COMPREPLY=() ;;
        "run|--resume") COMPREPLY=() ;;
        "app|--backend") COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")) ;;
        "app|--host") COMPREPLY=() ;;
        "app|--model") COMPREPLY=() ;;
        "app|--profile") COMPREPLY=() ;;
        "app|--temperature") COMPREPLY=() ;;
        "app|--approve") COMPREPLY=($(compgen -W "auto ask plan preview" -- "$cur")) ;;
        "app|--fresh-attempts") COMPREPLY=() ;;
        "app|--resume") COMPREPLY=() ;;
        "app|--theme") COMPREPLY=($(compgen -W "codeact-dark codeact-light" -- "$cur")) ;;
        *) COMPREPLY=() ;;
    esac
}

_codeact_tui_positional() {
    local cur="$2"
    case "$1" in
        "completions") COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
        "app") _codeact_tui_dirs "$cur" ;;
        *) COMPREPLY=() ;;
    esac
}

_codeact_tui() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local cmd="" word i skip=0 subs
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        if ((skip)); then skip=0; continue; fi
        subs=" $(_codeact_tui_subcommands "$cmd") "
        if [[ "$word" != -* && "$subs" == *" $word "* ]]; then
            cmd="${cmd:+$cmd }$word"
            continue
        fi
        [[ -z "$cmd" ]] && cmd="app"  # `codeact-tui [PATH] [options]` is the app
        if [[ " $(_codeact_tui_valued "$cmd") " == *" $word "* ]]; then skip=1; fi
    done
    if [[ "$cur" != -* && " $(_codeact_tui_valued "$cmd") " == *" $prev "* ]]; then
        _codeact_tui_value "$cmd" "$prev" "$cur"
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_codeact_tui_options "$cmd")" -- "$cur"))
        return 0
    fi
    subs="$(_codeact_tui_subcommands "$cmd")"
    if [[ -n "$subs" ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        [[ -z "$cmd" ]] && _codeact_tui_dirs "$cur"
        return 0
    fi
    _codeact_tui_positional "$cmd" "$cur"
}

_codeact_tui_dirs() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY+=($(compgen -d -- "$1"))
}

_codeact_tui_files() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY+=($(compgen -f -- "$1"))
}

complete -F _codeact_tui codeact-tui
